# `make demo`: the local demo (creates .venv when missing). `make test`: the test suite in .venv.
.PHONY: demo test venv

PYTHON ?= python3

venv: .venv/.installed

.venv/.installed: pyproject.toml
	test -x .venv/bin/python || $(PYTHON) -m venv .venv
	.venv/bin/python -m pip install -q --upgrade pip
	.venv/bin/python -m pip install -q -e ".[dev]"
	touch .venv/.installed

demo:
	PYTHON=$(PYTHON) scripts/demo

test: venv
	.venv/bin/python -m pytest -q

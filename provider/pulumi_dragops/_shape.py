"""What makes the resources look like a first-class Pulumi provider's: keyword constructors, `Provider`.

`Pattern("p", name=..., graph=...)` and `Pattern("p", PatternArgs(...))` are the two constructor forms of
generated Pulumi SDKs; `resource_args` turns either into the Args object.

`Provider` is the configuration of a second DRAGOPS instance or account, passed as
`opts=pulumi.ResourceOptions(provider=eu)`. A dynamic resource cannot take a real provider resource
(`pulumi.ProviderResource`): its provider is the `ResourceProvider` pickled into `__provider`, served by
the engine's default `pulumi-python` plugin, so the resources take a `Provider` off their options before
they register. What travels is only the name of a stack-config namespace (`dragops-eu`); the provider
host reads `dragops-eu:url`, `dragops-eu:token`, ... from the whole stack config it receives in
`configure()`. So credentials are never pickled and never in the state (docs/pulumi-engine.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

from ._config import NAMESPACE

_A = TypeVar("_A")
_R = TypeVar("_R", bound=Resource)
_NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class Provider:
    """Which DRAGOPS instance and account resources talk to: the stack config under `config_namespace`.

    The default provider reads `dragops:url`, `dragops:token` (or `dragops:email` + `dragops:password`),
    `dragops:caBundle` and `dragops:activationTimeout`, then the DRAGOPS_* environment variables.
    `Provider("eu", config_namespace="dragops-eu")` reads the same keys under `dragops-eu:` (and no
    environment variables), set with e.g. `pulumi config set --secret dragops-eu:token ...`.
    """

    def __init__(self, resource_name: str, *, config_namespace: str) -> None:
        if not isinstance(config_namespace, str) or not _NAMESPACE.match(config_namespace):
            raise ValueError(
                f"Provider {resource_name!r}: config_namespace must be a stack config namespace such as "
                f"'dragops-eu', got {config_namespace!r}"
            )
        self.resource_name = resource_name
        self.config_namespace = config_namespace

    def __repr__(self) -> str:
        return f"Provider({self.resource_name!r}, config_namespace={self.config_namespace!r})"


def take_provider(opts: pulumi.ResourceOptions | None) -> tuple[pulumi.ResourceOptions | None, str]:
    """The options without a `Provider` in them, and the config namespace it named (default `dragops`).

    A `Provider` left in the options would reach the SDK as if it were a provider resource.
    """
    if opts is None or not isinstance(opts.provider, Provider):
        if opts is not None and opts.provider is not None:
            raise TypeError(
                f"opts.provider must be a pulumi_dragops.Provider for DRAGOPS resources, got "
                f"{type(opts.provider).__name__}"
            )
        return opts, NAMESPACE
    namespace = opts.provider.config_namespace
    stripped = pulumi.ResourceOptions.merge(opts, None)
    stripped.provider = None
    return stripped, namespace


def resource_args(args_type: type[_A], args: Any, kwargs: Mapping[str, Any], resource: str) -> _A:
    """The Args object of a constructor call: given, built from a dict, or built from keywords."""
    if args is not None and kwargs:
        raise TypeError(
            f"{resource}() takes either an args object or keyword arguments, not both "
            f"(got args and {', '.join(sorted(kwargs))})"
        )
    if isinstance(args, args_type):
        return args
    source = dict(args) if isinstance(args, Mapping) else dict(kwargs)
    if args is not None and not isinstance(args, Mapping):
        raise TypeError(f"{resource}() args must be a {args_type.__name__}, got {type(args).__name__}")
    try:
        return args_type(**source)
    except TypeError as exc:
        raise TypeError(f"{resource}(): {exc}".replace("__init__() ", "")) from None


def with_secret_outputs(opts: pulumi.ResourceOptions | None, names: Sequence[str]) -> pulumi.ResourceOptions:
    """`opts` with `names` marked as secret outputs (outputs the provider derives from secrets: the engine
    would not mark them secret on its own)."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(names)))


def read_existing(
    resource_class: type[_R],
    provider_class: Callable[[str], ResourceProvider],
    *,
    resource_name: str,
    id: pulumi.Input[str],
    props: Mapping[str, Any],
    opts: pulumi.ResourceOptions | None,
    secret_outputs: Sequence[str] = (),
) -> _R:
    """The body of every resource's `get()`: the object `id` read into a new resource, not managed.

    The resource's own `__init__` (which checks inputs) is skipped: a read takes no inputs but `props`.
    """
    opts, namespace = take_provider(opts)
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
    if secret_outputs:
        opts = with_secret_outputs(opts, secret_outputs)
    resource = resource_class.__new__(resource_class)
    Resource.__init__(resource, provider_class(namespace), resource_name, dict(props), opts)
    return resource

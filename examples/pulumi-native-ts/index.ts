// A TypeScript program using the native DRAGOPS provider. Generate the SDK first (it is not published):
//   pulumi package add pulumi-resource-dragops     # or: pulumi package gen-sdk <schema.json> --language nodejs
// Stack config: dragops:url, dragops:token (secret).
import * as pulumi from "@pulumi/pulumi";
import * as dragops from "@pulumi/dragops";

const graph = {
    nodes: [
        { id: "hook", type: "OnWebhook", position: { x: 0, y: 0 }, data: {} },
        { id: "log", type: "Log", position: { x: 320, y: 0 }, data: { properties: { level: "info" }, pinDefaults: { message: "got it" } } },
    ],
    edges: [{ id: "e1", source: "hook", sourceHandle: "exec", target: "log", targetHandle: "exec" }],
};

const pattern = new dragops.Pattern("logger", { name: `Webhook Logger (${pulumi.getStack()})`, graph });
const deployment = new dragops.Deployment("logger", { patternId: pattern.id, contentHash: pattern.contentHash });

export const patternId = pattern.id;
export const deployedVersion = deployment.versionNumber;

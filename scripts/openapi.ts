// `npm run openapi`: writes the API contract (api/openapi.json) and the web app's types
// generated from it (web/src/api/schema.d.ts, and the SDK's sdk/src/schema.d.ts). Run it after changing a route's declaration.
import { writeFileSync } from "node:fs";
import { contractDocument, documentText, openApiPath, sdkSchemaPath, webSchemaPath, webSchemaText } from "./lib/apiContract.ts";

const document = contractDocument();
writeFileSync(openApiPath, documentText(document));
const schemaText = await webSchemaText(document);
writeFileSync(webSchemaPath, schemaText);
writeFileSync(sdkSchemaPath, schemaText);
const operations = Object.values(document.paths).reduce((count, methods) => count + Object.keys(methods).length, 0);
process.stdout.write(`wrote ${openApiPath} (${operations} operations), ${webSchemaPath} and ${sdkSchemaPath}\n`);

// The API's operations as the matrix names them ("METHOD /path"), read from the committed
// OpenAPI document (test/api/contract.test.ts keeps it equal to the route declarations), each
// with its documented success status.
import { readFileSync } from "node:fs";

type Operation = { responses: Record<string, unknown> };
const httpMethods = ["get", "post", "put", "patch", "delete"];

export function apiOperations(): Map<string, number> {
  const document = JSON.parse(readFileSync(new URL("../../api/openapi.json", import.meta.url), "utf8")) as {
    paths: Record<string, Record<string, Operation>>;
  };
  return new Map(
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => httpMethods.includes(method))
        .map(
          ([method, operation]) =>
            [`${method.toUpperCase()} ${path}`, Number(Object.keys(operation.responses).find((status) => status.startsWith("2")))] as const,
        ),
    ),
  );
}

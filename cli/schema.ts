import type { ValidationIssue } from '../src/errors.js';

/** Loads and compiles a schema file. Imports ajv lazily: only commands given --schema pay for it. */
export async function loadValidator(schemaPath: string): Promise<(value: unknown) => ValidationIssue[]> {
  const { compileSchema, readSchemaFile, validateWith } = await import('../src/schema/compile.js');
  // Validation here only reports; defaults are applied by the runtime loader, not written into files.
  const validate = compileSchema(readSchemaFile(schemaPath), { useDefaults: false }, `schema ${schemaPath}`);
  return (value) => validateWith(validate, value);
}

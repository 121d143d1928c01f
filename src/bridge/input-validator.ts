import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/server';
import { LinearPattern } from '../config/linear-pattern.js';
import type { HostPattern, JsonSchema } from './tool-schema.js';

/**
 * A tool's input validator (ADR 0035): the JSON Schema validator checks everything but the
 * operator's patterns, which it sees replaced by their linear base (characters, leading
 * dash); the operator's patterns are then matched by the server's own linear-time engine.
 * The schema a client lists keeps the whole pattern; what is accepted is the same.
 */
export function linearPatternValidator(patterns: Readonly<Record<string, HostPattern>>, engine: jsonSchemaValidator): jsonSchemaValidator {
  const compiled = Object.entries(patterns).map(([name, p]) => ({ name, source: p.source, pattern: LinearPattern.fromValidated(p.source) }));
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      const check = engine.getValidator<T>(withBasePatterns(schema as JsonSchema, patterns) as JsonSchemaType);
      return (input) => {
        const result = check(input);
        if (!result.valid) return result;
        const values = input as Record<string, unknown>;
        for (const { name, source, pattern } of compiled) {
          const value = Object.hasOwn(values, name) ? values[name] : undefined;
          if (typeof value === 'string' && !pattern.test(value)) return { valid: false, data: undefined, errorMessage: `${name}: must match the pattern ${source}` };
        }
        return result;
      };
    },
  };
}

function withBasePatterns(schema: JsonSchema, patterns: Readonly<Record<string, HostPattern>>): JsonSchema {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const loose: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(properties)) loose[name] = Object.hasOwn(patterns, name) ? { ...property, pattern: (patterns[name] as HostPattern).base } : property;
  return { ...schema, properties: loose };
}

// A custom Spectral function for .spectral.yaml: a request input (parameter or body field) must be
// bounded. Strings need maxLength, enum or const, or else a grammar that fixes their length: format
// uuid, or a pattern anchored at both ends without an unbounded quantifier (*, +, {n,}). Arrays
// need maxItems. (Integers are checked by the OWASP ruleset's integer-limit rule as they are.)
import { createRulesetFunction } from '@stoplight/spectral-core';

const typesOf = (s) => (Array.isArray(s.type) ? s.type : [s.type]);

/** Splits a regular expression source on its top-level `|` (outside groups and classes). */
function alternatives(source) {
  const out = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(source.slice(start, i));
      start = i + 1;
    }
  }
  out.push(source.slice(start));
  return out;
}

/** Whether every string the pattern matches has a bounded length. */
export function boundedPattern(source) {
  if (typeof source !== 'string') return false;
  const anchored = alternatives(source).every((alt) => alt.startsWith('^') && alt.endsWith('$') && !alt.endsWith('\\$'));
  // Escapes and character classes say nothing about repetition; what is left must not repeat without bound.
  const bare = source.replace(/\\./g, 'x').replace(/\[(?:\\.|[^\]\\])*\]/g, 'x');
  return anchored && !/[*+]|\{\d*,\}/.test(bare);
}

export function boundedInput(schema) {
  if (schema === null || typeof schema !== 'object') return [];
  const types = typesOf(schema);
  if (types.includes('string')) {
    const ok = 'maxLength' in schema || 'enum' in schema || 'const' in schema || schema.format === 'uuid' || boundedPattern(schema.pattern);
    if (!ok) return [{ message: 'A request string must be bounded: maxLength, enum, const, format uuid, or an anchored pattern without unbounded repetition.' }];
  }
  if (types.includes('array') && !('maxItems' in schema)) return [{ message: 'A request array must declare maxItems.' }];
  return [];
}

export default createRulesetFunction({ input: null, options: null }, boundedInput);

// SPDX-License-Identifier: Apache-2.0
// schema.js - the Compute v1 types as Google's Node client declares them.
//
// Reads build/v1.d.ts of the installed @googleapis/compute: every
// "interface Schema$X { ... }" (field names and TypeScript types) and every
// method's declared answer ("Promise<GaxiosResponseWithHTTP2<Schema$X>>"), and
// checks a JSON value against a type recursively: a field the type lacks, or a
// value of the wrong JSON type, is an error.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function dtsPath() {
  const pkg = require.resolve('@googleapis/compute/package.json');
  return path.join(path.dirname(pkg), 'build', 'v1.d.ts');
}

// ---- a parser for the part of TypeScript the generated types use ----

function tokenize(text) {
  const re = /\s*([A-Za-z_$][A-Za-z0-9_$]*|\[\]|[{}[\]<>():;?|,])/y;
  const out = [];
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    m = re.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(at))) break;
      throw new Error(`schema.js: cannot read type text at: ${text.slice(at, at + 60)}`);
    }
    out.push(m[1]);
  }
  return out;
}

class Parser {
  constructor(tokens) {
    this.t = tokens;
    this.i = 0;
  }
  peek() {
    return this.t[this.i];
  }
  next() {
    return this.t[this.i++];
  }
  expect(tok) {
    const got = this.next();
    if (got !== tok) throw new Error(`schema.js: expected '${tok}', got '${got}'`);
  }
  // type := primary ('|' primary)*
  type() {
    const alts = [this.primary()];
    while (this.peek() === '|') {
      this.next();
      alts.push(this.primary());
    }
    return alts.length === 1 ? alts[0] : { k: 'union', of: alts };
  }
  primary() {
    let t;
    const tok = this.next();
    if (tok === '{') {
      t = this.members('}');
    } else if (tok === 'Array') {
      this.expect('<');
      t = { k: 'array', of: this.type() };
      this.expect('>');
    } else if (['string', 'number', 'boolean', 'any', 'null', 'unknown'].includes(tok)) {
      t = { k: 'prim', t: tok === 'unknown' ? 'any' : tok };
    } else if (/^Schema\$/.test(tok)) {
      t = { k: 'ref', name: tok.slice(7) };
    } else {
      throw new Error(`schema.js: unexpected type token '${tok}'`);
    }
    while (this.peek() === '[]') {
      this.next();
      t = { k: 'array', of: t };
    }
    return t;
  }
  // members := ( '[' key ':' string ']' ':' type ';' | name '?'? ':' type ';' )* close
  members(close) {
    const fields = Object.create(null);
    let index = null;
    while (this.peek() !== close) {
      if (this.peek() === '[') {
        this.next();
        this.next(); // key name
        this.expect(':');
        this.next(); // string
        this.expect(']');
        this.expect(':');
        index = this.type();
      } else {
        const name = this.next();
        if (this.peek() === '?') this.next();
        this.expect(':');
        fields[name] = this.type();
      }
      if (this.peek() === ';' || this.peek() === ',') this.next();
    }
    this.next();
    return { k: 'obj', fields, index };
  }
}

function load() {
  const text = fs.readFileSync(dtsPath(), 'utf8');
  const schemas = Object.create(null);
  const ifaceRe = /^ {4}export interface Schema\$(\w+) \{\n([\s\S]*?)^ {4}\}$/gm;
  let m;
  while ((m = ifaceRe.exec(text))) {
    const body = m[2].replace(/\/\*[\s\S]*?\*\//g, ' ');
    const p = new Parser(tokenize(body + ' }'));
    schemas[m[1]] = p.members('}');
  }
  // Each resource class's methods and the type each one answers with.
  const methods = Object.create(null);
  const classRe = /^ {4}export class Resource\$(\w+) \{\n([\s\S]*?)^ {4}\}$/gm;
  while ((m = classRe.exec(text))) {
    const sigRe =
      /^ {8}(\w+)\(params\?: Params\$Resource\$[\w$]+, options\?: MethodOptions\): Promise<GaxiosResponseWithHTTP2<Schema\$(\w+)>>;$/gm;
    let s;
    while ((s = sigRe.exec(m[2]))) methods[`${m[1]}.${s[1]}`] = s[2];
  }
  if (Object.keys(schemas).length < 100 || Object.keys(methods).length < 100)
    throw new Error(`schema.js: ${dtsPath()} does not look like the Compute v1 client`);
  return { schemas, methods };
}

const { schemas, methods } = load();

function kindOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function matches(t, v) {
  switch (t.k) {
    case 'prim':
      return t.t === 'any' || kindOf(v) === t.t;
    case 'ref':
    case 'obj':
      return kindOf(v) === 'object';
    case 'array':
      return Array.isArray(v);
    case 'union':
      return t.of.some((a) => matches(a, v));
    default:
      return false;
  }
}

function describe(t) {
  switch (t.k) {
    case 'prim':
      return t.t;
    case 'ref':
      return `Schema$${t.name}`;
    case 'obj':
      return 'object';
    case 'array':
      return `${describe(t.of)}[]`;
    case 'union':
      return t.of.map(describe).join(' | ');
    default:
      return '?';
  }
}

// Errors of v against t, each "where: what".
function check(t, v, where, errs) {
  if (!matches(t, v)) {
    errs.push(`${where}: ${kindOf(v)} where the client declares ${describe(t)}`);
    return errs;
  }
  if (t.k === 'union') {
    const alt = t.of.find((a) => a.k !== 'prim' && matches(a, v));
    if (alt) check(alt, v, where, errs);
    return errs;
  }
  if (t.k === 'ref') {
    const s = schemas[t.name];
    if (!s) errs.push(`${where}: the client has no Schema$${t.name}`);
    else checkObject(s, v, where, t.name, errs);
  } else if (t.k === 'obj') {
    checkObject(t, v, where, null, errs);
  } else if (t.k === 'array') {
    v.forEach((x, i) => check(t.of, x, `${where}[${i}]`, errs));
  }
  return errs;
}

function checkObject(s, v, where, name, errs) {
  for (const [key, val] of Object.entries(v)) {
    const ft = s.fields[key] || s.index;
    if (!ft) {
      errs.push(`${where}.${key}: no such field in ${name ? `Schema$${name}` : 'this object'}`);
      continue;
    }
    check(ft, val, `${where}.${key}`, errs);
  }
}

// Errors of v as the named Schema$ type.
function validate(typeName, v) {
  if (!schemas[typeName]) return [`the client has no Schema$${typeName}`];
  return check({ k: 'ref', name: typeName }, v, typeName, []);
}

// The type a method answers with: responseType('Instancegroupmanagers', 'listManagedInstances').
function responseType(resource, method) {
  const t = methods[`${resource}.${method}`];
  if (!t) throw new Error(`the client has no method ${resource}.${method}`);
  return t;
}

module.exports = { validate, responseType, schemas, dtsPath };

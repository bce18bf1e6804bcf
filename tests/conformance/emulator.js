// SPDX-License-Identifier: Apache-2.0
// emulator.js - run gceb-emulator for one test file and drive it with Google's client.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { compute, auth } = require('@googleapis/compute');
const { validate, responseType } = require('./schema.js');

const CANONICAL = 'https://www.googleapis.com/compute/v1/';

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

class Emulator {
  // args: extra gceb-emulator options.
  async start(args = []) {
    const bin = process.env.GCEB_EMULATOR;
    if (!bin || !fs.existsSync(bin))
      throw new Error('GCEB_EMULATOR must name the gceb-emulator binary (ctest sets it)');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gceb-conf-'));
    const portFile = path.join(this.dir, 'port');
    this.proc = spawn(bin, ['--listen', '127.0.0.1:0', '--port-file', portFile, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code, sig) => r({ code, sig })));
    for (let i = 0; i < 500 && !fs.existsSync(portFile); i++) await sleep(10);
    this.root = fs.readFileSync(portFile, 'utf8').trim();
    const tok = await this.ctl('/_emu/tokens', { email: 'conformance@emulator' });
    this.token = tok.access_token;
    const oauth = new auth.OAuth2();
    oauth.setCredentials({ access_token: this.token, expiry_date: Date.now() + 3600e3 });
    // retry: false, so that each answer the emulator gives is the one checked
    this.client = compute({ version: 'v1', rootUrl: `${this.root}/`, auth: oauth, retry: false });
    return this;
  }

  async stop() {
    if (!this.proc) return;
    this.proc.kill('SIGTERM');
    const { code, sig } = await this.exited;
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.proc = null;
    assert.equal(code, 0, `gceb-emulator exited with ${code} (signal ${sig})`);
  }

  // A control call (docs/emulator.md); the answer, which must be 200.
  async ctl(p, body, method = 'POST') {
    const res = await fetch(this.root + p, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 200, `${method} ${p}: ${text}`);
    return JSON.parse(text);
  }

  advance(seconds) {
    return this.ctl('/_emu/clock/advance', { seconds });
  }

  seed(group, size, extra = {}) {
    return this.ctl('/_emu/gce/seed', {
      project: 'p',
      zone: 'z',
      template: 't',
      group,
      size,
      ...extra,
    });
  }

  // Calls client[resource][method](params) and checks the answer: want 200 and
  // the method's declared type, or an error status and Google's error envelope.
  async call(resource, method, params, want = 200) {
    const type = responseType(resource[0].toUpperCase() + resource.slice(1).toLowerCase(), method);
    let res;
    try {
      res = await this.client[resource][method](params);
    } catch (err) {
      if (!err.response) throw err;
      res = err.response;
    }
    const what = `${resource}.${method}(${JSON.stringify(params)})`;
    assert.equal(res.status, want, `${what}: HTTP ${res.status}: ${JSON.stringify(res.data)}`);
    if (want === 200) assert.deepEqual(validate(type, res.data), [], `${what} as Schema$${type}`);
    else assert.deepEqual(checkError(res.data, want), [], `${what}: error envelope`);
    return res.data;
  }
}

// Google's JSON error envelope: {"error": {"code", "message", "errors": [...]}}.
function checkError(body, status) {
  const errs = [];
  if (typeof body !== 'object' || body === null) return [`not a JSON object: ${body}`];
  for (const k of Object.keys(body)) if (k !== 'error') errs.push(`unknown field ${k}`);
  const e = body.error || {};
  const known = ['code', 'message', 'errors', 'status', 'details'];
  for (const k of Object.keys(e)) if (!known.includes(k)) errs.push(`unknown field error.${k}`);
  if (e.code !== status) errs.push(`error.code ${e.code}, HTTP ${status}`);
  if (typeof e.message !== 'string') errs.push('error.message is not a string');
  if (!Array.isArray(e.errors) || e.errors.length === 0) errs.push('error.errors is not a list');
  for (const [i, x] of (Array.isArray(e.errors) ? e.errors : []).entries()) {
    for (const k of Object.keys(x))
      if (!['domain', 'reason', 'message', 'location', 'locationType'].includes(k))
        errs.push(`unknown field error.errors[${i}].${k}`);
    for (const k of ['domain', 'reason', 'message'])
      if (typeof x[k] !== 'string') errs.push(`error.errors[${i}].${k} is not a string`);
  }
  return errs;
}

// The last path segment of a link, which must carry Compute's root.
function linkName(url) {
  assert.ok(url.startsWith(CANONICAL), `${url} does not start with ${CANONICAL}`);
  return url.slice(url.lastIndexOf('/') + 1);
}

module.exports = { Emulator, CANONICAL, linkName, sleep, checkError };

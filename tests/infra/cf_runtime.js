// Load a CloudFront Function (cloudfront-js-2.0) under Node, as the runtime would run it: its
// `import NAME from 'MODULE';` lines get the runtime's modules (`crypto`, and `cloudfront`,
// whose kvs() is a KeyValueStore stub), `Date.now` can be pinned, and console calls are
// counted (the function must never log). Shared by run_cf_cases.js and bench/edge_function.js.
'use strict';
const nodeCrypto = require('crypto');
const vm = require('vm');

const IMPORT = /^import (\w+) from '([\w-]+)';$/gm;

// A handle like cf.kvs(): get() is async and rejects for a missing key, like the real one;
// exists() resolves true or false. Both reject (a store error) for a key in `failing`. Every
// key asked for is appended to stats.keys.
function kvsStub(entries, failing, stats) {
    const values = new Map(Object.entries(entries));
    const broken = new Set(failing);
    const read = (key) => {
        stats.keys.push(key);
        if (broken.has(key)) {
            throw new Error('KeyValueStore: internal error');
        }
    };
    return {
        async get(key) {
            stats.gets += 1;
            read(key);
            if (!values.has(key)) {
                throw new Error(`The key ${key} does not exist`);
            }
            return values.get(key);
        },
        async exists(key) {
            stats.exists += 1;
            read(key);
            return values.has(key);
        },
    };
}

// options.kvs: {key: value} (null: no store associated, so cf.kvs() throws);
// options.failing: keys whose reads fail; options.now: Unix seconds for Date.now (null: the
// real clock).
function load(code, options = {}) {
    const { kvs = null, failing = [], now = null } = options;
    const stats = { kvsHandles: 0, gets: 0, exists: 0, logged: 0, keys: [] };
    const cloudfront = {
        kvs() {
            stats.kvsHandles += 1;
            if (kvs === null) {
                throw new Error('no KeyValueStore is associated with this function');
            }
            return kvsStub(kvs, failing, stats);
        },
    };
    const modules = { cloudfront, crypto: nodeCrypto };
    const source = code.replace(IMPORT, (line, name, module) => {
        if (!(module in modules)) {
            throw new Error(`the runtime has no module ${module}`);
        }
        return `var ${name} = __modules.${module};`;
    });
    if (/^\s*import\b/m.test(source)) {
        throw new Error('an import line this loader does not understand');
    }
    const log = () => { stats.logged += 1; };
    const sandbox = {
        __modules: modules,
        Buffer,
        console: { log, info: log, warn: log, error: log, debug: log },
    };
    vm.createContext(sandbox);
    if (now !== null) {
        vm.runInContext(`Date.now = function () { return ${now * 1000}; };`, sandbox);
    }
    vm.runInContext(`${source}\nthis.handler = handler;`, sandbox);
    return { handler: sandbox.handler, stats };
}

// A viewer-request event for {method, uri, headers, querystring} (one value each).
function cfEvent(request) {
    const wrap = (map) => Object.fromEntries(
        Object.entries(map).map(([name, value]) => [name, { value }]));
    return {
        version: '1.0',
        context: { eventType: 'viewer-request' },
        viewer: { ip: '192.0.2.1' },
        request: {
            method: request.method,
            uri: request.uri,
            querystring: wrap(request.querystring),
            headers: wrap(request.headers),
            cookies: {},
        },
    };
}

module.exports = { cfEvent, load };

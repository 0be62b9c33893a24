// Run a CloudFront Function's code against a case table (routing_cases.json, auth_cases.json).
// usage: node run_cf_cases.js FUNCTION_JS CASES_JSON
//   -> prints {results: [{name, got, projects}], stats} as JSON, where got has the shape of a
//   case's `expect` and projects lists the `project:` keys the case read. A table with `kvs`
//   ([{key, value}]) and `now` gets a KeyValueStore stub and a pinned clock, where reading a key
//   of `kvsErrors` fails; without `kvs`, no store is associated (cf.kvs() throws).
'use strict';
const fs = require('fs');
const { cfEvent, load } = require('./cf_runtime.js');

// {uri} for a forwarded request, plus what must not change on the way: the query string (the
// cache key) and no Authorization header, and the upload grant header when set ({upload}).
// {status[, location][, headers][, reason]} for an answer.
function outcome(result, request) {
    if (result.statusCode === undefined) {
        const got = { uri: result.uri };
        const query = Object.fromEntries(
            Object.entries(result.querystring).map(([name, entry]) => [name, entry.value]));
        if (JSON.stringify(query) !== JSON.stringify(request.querystring)) {
            got.querystring = query;
        }
        if (result.headers.authorization !== undefined) {
            got.authorization = 'forwarded';
        }
        if (result.headers['x-pyshelf-upload'] !== undefined) {
            got.upload = result.headers['x-pyshelf-upload'].value;
        }
        return got;
    }
    const got = { status: result.statusCode };
    const headers = {};
    Object.entries(result.headers || {}).forEach(([name, entry]) => {
        if (name === 'location') {
            got.location = entry.value;
        } else {
            headers[name] = entry.value;
        }
    });
    if (Object.keys(headers).length > 0) {
        got.headers = headers;
    }
    if (result.body !== undefined) {
        // A refusal with a reason: the status description, and the body (the reason + '\n').
        got.reason = result.statusDescription;
        if (result.body.data !== `${result.statusDescription}\n`) {
            got.body = result.body.data;
        }
    }
    return got;
}

async function main() {
    const [functionPath, casesPath] = process.argv.slice(2);
    const table = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
    const kvs = table.kvs ? Object.fromEntries(table.kvs.map((e) => [e.key, e.value])) : null;
    const now = table.now === undefined ? null : table.now;
    const failing = table.kvsErrors || [];
    const code = fs.readFileSync(functionPath, 'utf8');
    const { handler, stats } = load(code, { kvs, failing, now });
    const results = [];
    for (const c of table.cases) {
        const before = stats.keys.length;
        const got = outcome(await handler(cfEvent(c.request)), c.request);
        const projects = stats.keys.slice(before).filter((key) => key.startsWith('project:'));
        results.push({ name: c.name, got, projects });
    }
    const { keys, ...counts } = stats;
    process.stdout.write(JSON.stringify({ results, stats: counts }));
}

main().catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
});

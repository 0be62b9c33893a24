// Run the CloudFront Function source against the shared routing case table.
// usage: node run_cf_cases.js ROUTE_JS CASES_JSON  -> prints [{name, got}] as JSON, where got
// has the shape of a case's `expect`.
'use strict';
const fs = require('fs');
const vm = require('vm');

const [routePath, casesPath] = process.argv.slice(2);
// Evaluate the file as CloudFront does: top-level declarations, no modules, no require.
const sandbox = {};
vm.runInNewContext(fs.readFileSync(routePath, 'utf8') + '\nthis.handler = handler;', sandbox);

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

function outcome(result) {
    if (result.statusCode === undefined) {
        return { uri: result.uri };
    }
    const got = { status: result.statusCode };
    if (result.headers && result.headers.location) {
        got.location = result.headers.location.value;
    }
    return got;
}

const { cases } = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
const results = cases.map((c) => {
    return { name: c.name, got: outcome(sandbox.handler(cfEvent(c.request))) };
});
process.stdout.write(JSON.stringify(results));

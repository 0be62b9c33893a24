// Per-request time of the CloudFront Function under Node: the median over RUNS runs of BATCH
// handler calls each (fresh events, built outside the timed loop). Driven by edge_function.py,
// which passes the deployed code and the scenario: node bench/edge_function.js SPEC_JSON
'use strict';
const fs = require('fs');
const path = require('path');
const { cfEvent, load } = require(path.join(__dirname, '..', 'tests', 'infra', 'cf_runtime.js'));

async function time(handler, request, runs, batch) {
    const perRequest = [];
    let last;
    for (let run = 0; run < runs; run += 1) {
        const events = Array.from({ length: batch }, () => cfEvent(request));
        const start = process.hrtime.bigint();
        for (const event of events) {
            last = await handler(event);
        }
        perRequest.push(Number(process.hrtime.bigint() - start) / batch / 1000);
    }
    perRequest.sort((a, b) => a - b);
    return { median: perRequest[Math.floor(runs / 2)], last };
}

async function main() {
    const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    const results = {};
    for (const [name, scenario] of Object.entries(spec.scenarios)) {
        const { handler, stats } = load(scenario.code, { kvs: scenario.kvs, now: spec.now });
        await time(handler, scenario.request, spec.warmup, 1); // warm up the JIT
        const { median, last } = await time(handler, scenario.request, spec.runs, spec.batch);
        const location = last.headers && last.headers.location;
        results[name] = {
            microseconds: median,
            status: last.statusCode || 'forward',
            location: location ? location.value : last.uri,
            gets: stats.gets,
        };
    }
    process.stdout.write(JSON.stringify({ node: process.version, results }));
}

main().catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
});

import cf from 'cloudfront';
import crypto from 'crypto';
// pyshelf CloudFront Function (cloudfront-js-2.0, viewer request): route a viewer request onto
// the bucket layout (docs/layout.md). Twin of src/pyshelf/core/routing.py and edge_auth.py; both
// pass infra/cdn/routing_cases.json and auth_cases.json.
//   /simple/...          alias of /... (stripped; kept in redirects)
//   /                    root page;  /<project>/  project page  (index.json or index.html)
//   /<project>/<file>    the file, unchanged
//   /<project>           301 /<project>/;  non-normalized name  301 to the normalized one
//   invalid name, deeper paths, empty segments, %2F anywhere  404 (this also hides _pyshelf/)
// Human pages (docs/pages.md): /-/ root, /-/project/<p>/ project page (301 to the normalized
// name and the slash), /-/<file> and /-/project/<p>/<file> pass through; a page request whose
// Accept lists application/xhtml+xml (q > 0) and no ?format= names a page gets the human page.
// /index.html and /index.json are the root's files, not project names.
// Page format: ?format= (a media type, or json / html) first, then Accept q-values; JSON wins
// ties; HTML by default (browsers, curl). The JSON page goes to its gzip variant index.json.gz
// (stored with Content-Encoding: gzip) when Accept-Encoding accepts gzip: gzip or x-gzip at
// q > 0, or * at q > 0 when neither is named; CloudFront compresses HTML itself.
// Private: no usable read token (core/tokens.py record in the KVS) 401; a project scope not
// covering the normalized project (the root: unscoped only) 403, checked before redirects.
// Fall-through (CONFIG.upstream): a project page (any form) of a name that is not private here
// is a 307 to upstream + normalized name + '/' (no-store, no query: docs/fallthrough.md). Private:
// a reserved glob matches, or the KVS has project:<name>, or the KVS cannot tell (fail closed).

// Per-environment settings: this line is replaced at synth (infra/cdn/function_code.py).
var CONFIG = {"access":"public"};
var JSON_TYPES = {
    'application/vnd.pypi.simple.v1+json': true,
    'application/vnd.pypi.simple.latest+json': true
};
var HTML_TYPES = {
    'application/vnd.pypi.simple.v1+html': true,
    'application/vnd.pypi.simple.latest+html': true,
    'text/html': true,
    'text/*': true,
    '*/*': true
};
var SHORT_FORMATS = { json: 'index.json', html: 'index.html' };
var HUMAN_TYPE = 'application/xhtml+xml';
var VALID_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;
// RFC 9110 qvalue: anything else (1e-3, 0x1, empty) is malformed and counts as 0.
var QVALUE = /^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/;

function quality(params) {
    for (var i = 0; i < params.length; i++) {
        var eq = params[i].indexOf('=');
        var name = (eq < 0 ? params[i] : params[i].slice(0, eq)).trim();
        if (name === 'q') {
            var value = eq < 0 ? '' : params[i].slice(eq + 1).trim();
            return QVALUE.test(value) ? Number(value) : 0;
        }
    }
    return 1;
}

// [name, q] of each item of an Accept or Accept-Encoding value, lower-cased.
function items(value) {
    return value.split(',').map(function (item) {
        var parts = item.split(';').map(function (p) { return p.trim().toLowerCase(); });
        return [parts[0], quality(parts.slice(1))];
    });
}

// 'index.json', 'index.html', or null when the value accepts neither.
function choose(accept) {
    var jsonQ = 0;
    var htmlQ = 0;
    items(accept).forEach(function (item) {
        if (JSON_TYPES[item[0]] === true) {
            jsonQ = Math.max(jsonQ, item[1]);
        } else if (HTML_TYPES[item[0]] === true) {
            htmlQ = Math.max(htmlQ, item[1]);
        }
    });
    if (jsonQ > 0 && jsonQ >= htmlQ) {
        return 'index.json';
    }
    return htmlQ > 0 ? 'index.html' : null;
}

function decode(text) {
    try {
        return decodeURIComponent(text);
    } catch (e) {
        return null;
    }
}

// 'index.json', 'index.html', or 'human' (a browser, when no ?format= names a page).
function negotiate(request) {
    var format = request.querystring.format;
    if (format) {
        var wanted = (decode(format.value) || '').trim().toLowerCase();
        var chosen = SHORT_FORMATS[wanted] || choose(wanted);
        if (chosen) {
            return chosen;
        }
    }
    var accept = request.headers.accept ? request.headers.accept.value : '';
    if (items(accept).some(function (item) { return item[0] === HUMAN_TYPE && item[1] > 0; })) {
        return 'human';
    }
    return choose(accept) || 'index.html';
}

function queryString(querystring) {
    var pairs = [];
    Object.keys(querystring).forEach(function (name) {
        var entry = querystring[name];
        var values = entry.multiValue ? entry.multiValue : [entry];
        values.forEach(function (v) { pairs.push(name + '=' + v.value); });
    });
    return pairs.length ? '?' + pairs.join('&') : '';
}

function answer(statusCode, statusDescription, headers) {
    return { statusCode: statusCode, statusDescription: statusDescription, headers: headers || {} };
}

function denied(statusCode, statusDescription, headers) {
    headers = headers || {};
    headers['cache-control'] = { value: 'no-store' };
    return answer(statusCode, statusDescription, headers);
}

function redirect(location, request) {
    return answer(301, 'Moved Permanently', {
        location: { value: location + queryString(request.querystring) }
    });
}

// 307 + no-store, not 301: pip caches a 301 for good (cachecontrol), and a name that falls
// through today may be uploaded here tomorrow (docs/fallthrough.md).
function upstream(project) {
    return answer(307, 'Temporary Redirect', {
        location: { value: CONFIG.upstream + project + '/' },
        'cache-control': { value: 'no-store' }
    });
}

// Accept-Encoding accepts gzip: the highest q of gzip/x-gzip, else of *, is above 0.
function gzipped(header) {
    var named = -1;
    var any = -1;
    items(header ? header.value : '').forEach(function (item) {
        if (item[0] === 'gzip' || item[0] === 'x-gzip') {
            named = Math.max(named, item[1]);
        } else if (item[0] === '*') {
            any = Math.max(any, item[1]);
        }
    });
    return (named < 0 ? any : named) > 0;
}

function page(request, folder) {
    var name = negotiate(request);
    if (name === 'human') {
        request.uri = '/-' + (folder === '/' ? '/' : '/project' + folder) + 'index.html';
        return request;
    }
    var gz = name === 'index.json' && gzipped(request.headers['accept-encoding']);
    request.uri = folder + name + (gz ? '.gz' : '');
    return request;
}

var TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
var GLOB = /^[a-z0-9*?](-?[a-z0-9*?])*$/;
var kvs;

// The token: Basic, canonical base64 of printable ASCII user:password; the password, or the
// user when the password is empty. The header is capped. Never log it.
function presented(header) {
    var m = header && header.value.length <= 1024 && /^Basic +(\S*)$/i.exec(header.value);
    var b64 = m ? m[1] : '';
    var bytes = Buffer.from(b64, 'base64');
    var text = bytes.toString('base64') === b64 ? bytes.toString() : '';
    var colon = text.indexOf(':');
    return colon < 0 || !/^[ -~]*$/.test(text) ? '' : text.slice(colon + 1) || text.slice(0, colon);
}

function uint(n) {
    return typeof n === 'number' && n % 1 === 0 && n >= 0;
}

// A usable token's record with scope (as TokenRecord.decode reads it), or null. The store is
// keyed by the token's SHA-256: no secret is compared here. get() rejects for a missing key.
async function authorize(header, scope) {
    var token = presented(header);
    try {
        kvs = kvs || cf.kvs();
        var r = token && JSON.parse(await kvs.get(
            'token:' + crypto.createHash('sha256').update(token).digest('hex')));
    } catch (e) {
        return null;
    }
    var valid = r && r.v === 1 && typeof r.n === 'string' && TOKEN_NAME.test(r.n) &&
        uint(r.c) && uint(r.e) && Array.isArray(r.s) && r.s.length > 0 &&
        r.s.every(function (s) { return s === 'read' || s === 'upload'; }) &&
        (r.p == null || Array.isArray(r.p) && r.p.length > 0 && r.p.every(function (g) {
            return typeof g === 'string' && g.length <= 100 && GLOB.test(g);
        }));
    return valid && r.s.indexOf(scope) >= 0 && (!r.e || Date.now() / 1000 < r.e) ? r : null;
}

// fnmatchcase with * and ? (no backtracking blow-up).
function matches(glob, name) {
    var g = 0, n = 0, star = -1, mark = 0;
    while (n < name.length) {
        if (glob[g] === '*') {
            star = g++;
            mark = n;
        } else if (g < glob.length && (glob[g] === '?' || glob[g] === name[n])) {
            g++;
            n++;
        } else if (star < 0) {
            return false;
        } else {
            g = star + 1;
            n = ++mark;
        }
    }
    while (glob[g] === '*') {
        g++;
    }
    return g === glob.length;
}

// A reserved glob, or a project:<name> key ("live" or "reserved", any value counts). exists()
// resolves false for a missing key (only that falls through) and rejects on a store error.
async function local(project) {
    if ((CONFIG.reserved || []).some(function (glob) { return matches(glob, project); })) {
        return true;
    }
    try {
        kvs = kvs || cf.kvs();
        return (await kvs.exists('project:' + project)) !== false;
    } catch (e) {
        return true;
    }
}

// token: the viewer's record (null: public index). Checked before any redirect.
function allowed(token, project) {
    return !token || !token.p || (project !== null && token.p.some(function (glob) {
        return matches(glob, project);
    }));
}

async function routeProject(request, prefix, segments, token) {
    var raw = decode(segments[0]);
    if (raw === null || !VALID_NAME.test(raw)) {
        return answer(404, 'Not Found');
    }
    var project = raw.toLowerCase().replace(/[-_.]+/g, '-');
    if (!allowed(token, project)) {
        return denied(403, 'Forbidden');
    }
    var rest = segments.length === 2 ? segments[1] : null;
    if (CONFIG.upstream && !rest && !(await local(project))) {
        return upstream(project);
    }
    if (project !== raw || rest === null) {
        return redirect(prefix + '/' + project + '/' + (rest || ''), request);
    }
    if (rest === '') {
        return page(request, '/' + project + '/');
    }
    request.uri = '/' + project + '/' + rest;
    return request;
}

function routeHuman(request, segments, token) {
    if (segments.length === 0) {
        return redirect('/-/', request);
    }
    if (segments.slice(0, -1).indexOf('') !== -1) {
        return answer(404, 'Not Found');
    }
    if (segments.length === 1) {
        if (segments[0] === '' && !allowed(token, null)) {
            return denied(403, 'Forbidden');
        }
        request.uri = '/-/' + (segments[0] || 'index.html');
        return request;
    }
    var raw = decode(segments[1]);
    if (segments[0] !== 'project' || segments.length > 3 || raw === null || !VALID_NAME.test(raw)) {
        return answer(404, 'Not Found');
    }
    var project = raw.toLowerCase().replace(/[-_.]+/g, '-');
    if (!allowed(token, project)) {
        return denied(403, 'Forbidden');
    }
    var rest = segments.length === 3 ? segments[2] : null;
    if (project !== raw || rest === null) {
        return redirect('/-/project/' + project + '/' + (rest || ''), request);
    }
    request.uri = '/-/project/' + project + '/' + (rest || 'index.html');
    return request;
}

async function route(request, token) {
    if (/%2f/i.test(request.uri)) {
        return answer(404, 'Not Found'); // S3 would decode it into a deeper key
    }
    var segments = request.uri.split('/').slice(1);
    var prefix = '';
    if (segments[0] === '-') {
        return routeHuman(request, segments.slice(1), token);
    }
    if (segments[0] === 'simple') {
        if (segments.length === 1) {
            return allowed(token, null) ? redirect('/simple/', request) : denied(403, 'Forbidden');
        }
        prefix = '/simple';
        segments = segments.slice(1);
    }
    if (segments.length === 1 && segments[0] === '') {
        return allowed(token, null) ? page(request, '/') : denied(403, 'Forbidden');
    }
    if (segments.length > 2 || segments.slice(0, -1).indexOf('') !== -1) {
        return answer(404, 'Not Found');
    }
    if (segments.length === 1 && SHORT_FORMATS[segments[0].slice(6)] === segments[0]) {
        if (!allowed(token, null)) {
            return denied(403, 'Forbidden');
        }
        request.uri = '/' + segments[0];
        return request;
    }
    return routeProject(request, prefix, segments, token);
}

// Uploads (docs/publish.md; twin: edge_auth.route_upload): POST only, no Origin (no web page
// publishes), Content-Length within MAX_UPLOAD when sent, a usable upload token. Refusals carry
// their reason (twine prints it). The grant (name, globs) replaces Authorization and any
// viewer copy of x-pyshelf-upload; the origin checks the project against it.
var MAX_UPLOAD = 4400000;
function refuse(statusCode, reason, headers) {
    var r = denied(statusCode, reason, headers);
    r.headers['content-type'] = { value: 'text/plain; charset=utf-8' };
    r.body = { encoding: 'text', data: reason + '\n' };
    return r;
}

async function upload(request) {
    var h = request.headers;
    var length = h['content-length'];
    if (request.method !== 'POST') {
        return refuse(405, 'Upload with POST', { allow: { value: 'POST' } });
    }
    if (h.origin) {
        return refuse(403, 'Uploads from web pages (an Origin header) are refused');
    }
    if (length && !(/^[0-9]{1,10}$/.test(length.value) && +length.value <= MAX_UPLOAD)) {
        return refuse(413, 'Upload larger than ' + MAX_UPLOAD +
            ' bytes: use pyshelf upload (or aws s3 cp) for large files');
    }
    var r = await authorize(h.authorization, 'upload');
    if (!r) {
        return refuse(403,
            'Invalid or non-existent upload token (user __token__, a token with upload scope)');
    }
    delete h.authorization;
    h['x-pyshelf-upload'] = { value: JSON.stringify(r.p ? { n: r.n, p: r.p } : { n: r.n }) };
    request.uri = '/-/upload/';
    return request;
}

async function handler(event) {
    var request = event.request;
    if (request.uri === '/-/upload' || request.uri === '/-/upload/') {
        return upload(request);
    }
    if (CONFIG.access === 'public') {
        return route(request, null);
    }
    var token = await authorize(request.headers.authorization, 'read');
    if (!token) {
        return denied(401, 'Unauthorized', { 'www-authenticate': { value: 'Basic realm="pyshelf"' } });
    }
    delete request.headers.authorization; // the token stays at the edge
    return route(request, token);
}

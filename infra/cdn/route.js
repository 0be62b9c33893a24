// pyshelf CloudFront Function (cloudfront-js-2.0, viewer request): route a viewer request onto
// the bucket layout (docs/layout.md). Twin of src/pyshelf/core/routing.py; both pass
// infra/cdn/routing_cases.json.
//   /simple/...          alias of /... (stripped; kept in redirects)
//   /                    root page;  /<project>/  project page  (index.json or index.html)
//   /<project>/<file>    the file, unchanged
//   /<project>           301 /<project>/;  non-normalized name  301 to the normalized one
//   invalid name, deeper paths, empty segments  404 (this also hides _pyshelf/)
// Page format: ?format= (a media type, or json / html) first, then Accept q-values; JSON wins
// ties; HTML by default (browsers, curl).

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

// 'index.json', 'index.html', or null when the value accepts neither.
function choose(accept) {
    var jsonQ = 0;
    var htmlQ = 0;
    var items = accept.split(',');
    for (var i = 0; i < items.length; i++) {
        var parts = items[i].split(';').map(function (p) { return p.trim().toLowerCase(); });
        var q = quality(parts.slice(1));
        if (JSON_TYPES[parts[0]] === true) {
            jsonQ = Math.max(jsonQ, q);
        } else if (HTML_TYPES[parts[0]] === true) {
            htmlQ = Math.max(htmlQ, q);
        }
    }
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

function negotiate(request) {
    var format = request.querystring.format;
    if (format) {
        var wanted = (decode(format.value) || '').trim().toLowerCase();
        var chosen = SHORT_FORMATS[wanted] || choose(wanted);
        if (chosen) {
            return chosen;
        }
    }
    var accept = request.headers.accept;
    return (accept && choose(accept.value)) || 'index.html';
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

function redirect(location, request) {
    return answer(301, 'Moved Permanently', {
        location: { value: location + queryString(request.querystring) }
    });
}

function page(request, folder) {
    request.uri = folder + negotiate(request);
    return request;
}

function routeProject(request, prefix, segments) {
    var raw = decode(segments[0]);
    if (raw === null || !VALID_NAME.test(raw)) {
        return answer(404, 'Not Found');
    }
    var project = raw.toLowerCase().replace(/[-_.]+/g, '-');
    var rest = segments.length === 2 ? segments[1] : null;
    if (project !== raw || rest === null) {
        return redirect(prefix + '/' + project + '/' + (rest || ''), request);
    }
    if (rest === '') {
        return page(request, '/' + project + '/');
    }
    request.uri = '/' + project + '/' + rest;
    return request;
}

function handler(event) {
    var request = event.request;
    var segments = request.uri.split('/').slice(1);
    var prefix = '';
    if (segments[0] === 'simple') {
        if (segments.length === 1) {
            return redirect('/simple/', request);
        }
        prefix = '/simple';
        segments = segments.slice(1);
    }
    if (segments.length === 1 && segments[0] === '') {
        return page(request, '/');
    }
    if (segments.length > 2 || segments.slice(0, -1).indexOf('') !== -1) {
        return answer(404, 'Not Found');
    }
    return routeProject(request, prefix, segments);
}

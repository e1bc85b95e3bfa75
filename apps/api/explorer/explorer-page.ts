/** Where the explorer and its two assets are served; every URL the page uses is on the api. */
export const explorerPaths = {
  page: '/explorer',
  script: '/explorer/explorer.js',
  style: '/explorer/explorer.css',
  graphql: '/graphql',
  /** Browser login (when the api has an OIDC client), coming back to the explorer. */
  login: '/auth/login?returnTo=/explorer',
  session: '/auth/session',
} as const;

/**
 * The page may run and style itself only from the api, and talk only to the api: no CDN, no
 * inline script or style (so an injected one would not run), not framable, no forms elsewhere.
 */
export const explorerContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const sampleQuery = `query MySites {
  sites(first: 10) {
    totalCount
    edges {
      node {
        id
        name
        status
        hostname
        events(first: 5) {
          edges {
            node {
              at
              action
              summary
            }
          }
        }
      }
    }
  }
}
`;

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * The explorer: a query, its variables, a Bearer token, a Run button and the schema listed from
 * introspection. Plain HTML; the behaviour is explorerScript, served beside it.
 */
export const explorerPage = `<!doctype html>
<html lang="en" data-graphql-endpoint="${explorerPaths.graphql}" data-session-endpoint="${explorerPaths.session}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Berth GraphQL explorer</title>
<link rel="stylesheet" href="${explorerPaths.style}">
<script src="${explorerPaths.script}" defer></script>
</head>
<body>
<header>
<h1>Berth GraphQL explorer</h1>
<a id="login" class="login" href="${explorerPaths.login}">Log in</a>
<label class="token">Bearer token
<input id="token" type="password" autocomplete="off" spellcheck="false" placeholder="an API or development token">
</label>
</header>
<main>
<section class="editor" aria-label="Request">
<label for="query">Query</label>
<textarea id="query" spellcheck="false" rows="18">${escapeHtml(sampleQuery)}</textarea>
<label for="variables">Variables (a JSON object)</label>
<textarea id="variables" spellcheck="false" rows="5">{}</textarea>
<label for="operation-name">Operation name (when the query has several)</label>
<input id="operation-name" spellcheck="false">
<div class="actions">
<button id="run" type="button" title="Ctrl+Enter">Run</button>
<span id="status" role="status"></span>
</div>
</section>
<section class="result" aria-label="Result">
<h2>Result</h2>
<pre id="result"></pre>
</section>
<section class="schema" aria-label="Schema">
<h2>Schema <button id="load-schema" type="button">Reload</button></h2>
<p id="schema-status" role="status"></p>
<div id="schema"></div>
</section>
</main>
</body>
</html>
`;

/**
 * The explorer page's behaviour, served as /explorer/explorer.js. Plain browser JavaScript, kept
 * as text here because the build compiles TypeScript only and copies no other files; the unit
 * test runs it against a stand-in document. It writes the page with textContent only, never
 * innerHTML, so nothing from a response or the schema is parsed as markup.
 */
export const explorerScript = String.raw`'use strict';
(() => {
  const byId = (id) => document.getElementById(id);
  const endpoint = document.documentElement.dataset.graphqlEndpoint || '/graphql';
  const sessionPath = document.documentElement.dataset.sessionEndpoint || '/auth/session';
  const query = byId('query');
  const variables = byId('variables');
  const operationName = byId('operation-name');
  const token = byId('token');
  const run = byId('run');
  const status = byId('status');
  const result = byId('result');
  const schema = byId('schema');
  const schemaStatus = byId('schema-status');
  const loadSchema = byId('load-schema');
  const login = byId('login');
  /** The browser's login session ({ userId, csrfToken }), or null: found once, at load. */
  let session = null;

  const typeRef = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
  const introspection =
    'query ExplorerSchema { __schema { queryType { name } mutationType { name } types { ' +
    'kind name description ' +
    'fields { name description args { name description defaultValue type { ' + typeRef + ' } } ' +
    'type { ' + typeRef + ' } } ' +
    'inputFields { name description defaultValue type { ' + typeRef + ' } } ' +
    'enumValues { name description } possibleTypes { name } } } }';

  /**
   * Sends one operation, with the token from the page when there is one, otherwise with the
   * login session's cookie and its CSRF token (which mutations need).
   */
  async function post(body) {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    const bearer = token.value.trim();
    if (bearer) headers.authorization = 'Bearer ' + bearer;
    else if (session) headers['x-berth-csrf'] = session.csrfToken;
    const response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  }

  function parseVariables() {
    const text = variables.value.trim();
    if (!text) return {};
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('found ' + (Array.isArray(value) ? 'an array' : String(value)));
    }
    return value;
  }

  async function runQuery() {
    let vars;
    try {
      vars = parseVariables();
    } catch (error) {
      status.textContent = 'Variables must be a JSON object (' + error.message + ')';
      return;
    }
    const body = { query: query.value, variables: vars };
    const name = operationName.value.trim();
    if (name) body.operationName = name;
    run.disabled = true;
    status.textContent = 'Running…';
    try {
      const answer = await post(body);
      status.textContent = 'HTTP ' + answer.status;
      result.textContent =
        answer.json === undefined ? answer.text : JSON.stringify(answer.json, null, 2);
    } catch (error) {
      status.textContent = 'The request failed: ' + (error && error.message ? error.message : error);
    } finally {
      run.disabled = false;
    }
  }

  function typeName(type) {
    if (!type) return '?';
    if (type.kind === 'NON_NULL') return typeName(type.ofType) + '!';
    if (type.kind === 'LIST') return '[' + typeName(type.ofType) + ']';
    return type.name;
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function describe(parent, description) {
    if (description) parent.appendChild(element('p', description, 'description'));
  }

  function signature(field) {
    const args = (field.args || []).map((arg) => {
      const value = arg.defaultValue == null ? '' : ' = ' + arg.defaultValue;
      return arg.name + ': ' + typeName(arg.type) + value;
    });
    return field.name + (args.length ? '(' + args.join(', ') + ')' : '') + ': ' + typeName(field.type);
  }

  function renderType(type, open) {
    const details = element('details');
    details.open = open;
    const summary = element('summary');
    summary.appendChild(element('span', type.kind.toLowerCase().replace('_', ' '), 'kind'));
    summary.appendChild(element('span', ' ' + type.name, 'name'));
    details.appendChild(summary);
    describe(details, type.description);
    const members = type.fields || type.inputFields || type.enumValues || type.possibleTypes || [];
    const list = element('ul');
    for (const member of members) {
      const item = element('li');
      item.appendChild(
        element('code', member.type ? signature(member) : member.name),
      );
      describe(item, member.description);
      list.appendChild(item);
    }
    details.appendChild(list);
    return details;
  }

  /** Whether the browser is logged in (GET /auth/session); shows who, in place of the link. */
  async function findSession() {
    try {
      const response = await fetch(sessionPath, { method: 'GET', headers: { accept: 'application/json' }, credentials: 'same-origin' });
      const info = response.ok ? await response.json() : null;
      session = info && typeof info.csrfToken === 'string' ? info : null;
    } catch {
      session = null;
    }
    if (session) login.textContent = 'Logged in as ' + session.userId;
  }

  async function showSchema() {
    if (!token.value.trim() && !session) {
      schemaStatus.textContent = 'Log in, or paste a token above, to list the schema.';
      return;
    }
    schemaStatus.textContent = 'Loading…';
    try {
      const answer = await post({ query: introspection });
      const data = answer.json && answer.json.data && answer.json.data.__schema;
      if (!data) {
        schemaStatus.textContent = 'No schema: ' + answer.text;
        return;
      }
      const roots = [data.queryType, data.mutationType].filter(Boolean).map((t) => t.name);
      const types = data.types
        .filter((t) => !t.name.startsWith('__'))
        .sort((a, b) => {
          const rank = (t) => (roots.includes(t.name) ? roots.indexOf(t.name) : roots.length);
          return rank(a) - rank(b) || a.name.localeCompare(b.name);
        });
      schema.replaceChildren(...types.map((t) => renderType(t, roots.includes(t.name))));
      schemaStatus.textContent = types.length + ' types';
    } catch (error) {
      schemaStatus.textContent = 'The schema could not be loaded: ' + (error && error.message ? error.message : error);
    }
  }

  run.addEventListener('click', () => void runQuery());
  query.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void runQuery();
    }
  });
  loadSchema.addEventListener('click', () => void showSchema());
  token.addEventListener('change', () => void showSchema());
  void findSession().then(showSchema);
})();
`;

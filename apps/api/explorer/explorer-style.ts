/** The explorer page's style sheet, served as /explorer/explorer.css (text, as explorerScript). */
export const explorerStyle = `:root {
  color-scheme: light dark;
  --border: #8886;
  --muted: #888;
  font-family: system-ui, sans-serif;
}
body {
  margin: 0;
}
header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 1rem;
  justify-content: space-between;
  padding: 0.5rem 1rem;
  border-bottom: 1px solid var(--border);
}
h1 {
  font-size: 1.2rem;
  margin: 0;
}
h2 {
  font-size: 1rem;
  margin: 0 0 0.5rem;
}
.token input {
  width: 24rem;
  max-width: 60vw;
  margin-left: 0.5rem;
}
main {
  display: grid;
  grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) minmax(0, 0.8fr);
  gap: 1rem;
  padding: 1rem;
}
@media (max-width: 70rem) {
  main {
    grid-template-columns: minmax(0, 1fr);
  }
}
section {
  display: flex;
  flex-direction: column;
  gap: 0.3rem;
  min-width: 0;
}
textarea,
input,
pre,
code {
  font-family: ui-monospace, monospace;
  font-size: 0.85rem;
}
textarea,
input {
  box-sizing: border-box;
  width: 100%;
  padding: 0.4rem;
  border: 1px solid var(--border);
  border-radius: 4px;
}
.actions {
  display: flex;
  gap: 1rem;
  align-items: center;
  margin-top: 0.5rem;
}
button {
  padding: 0.3rem 1rem;
}
#status,
#schema-status,
.description {
  color: var(--muted);
}
pre {
  margin: 0;
  padding: 0.5rem;
  min-height: 20rem;
  overflow: auto;
  border: 1px solid var(--border);
  border-radius: 4px;
  white-space: pre-wrap;
  word-break: break-word;
}
#schema {
  overflow: auto;
  max-height: 80vh;
}
details {
  border-bottom: 1px solid var(--border);
  padding: 0.25rem 0;
}
summary {
  cursor: pointer;
}
.kind {
  color: var(--muted);
  font-size: 0.8rem;
}
.name {
  font-weight: 600;
}
ul {
  margin: 0.25rem 0;
  padding-left: 1rem;
  list-style: none;
}
li {
  margin: 0.2rem 0;
}
.description {
  margin: 0.1rem 0 0.2rem;
  font-size: 0.8rem;
}
`;

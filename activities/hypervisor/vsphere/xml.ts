import { XMLParser } from 'fast-xml-parser';

/**
 * The little XML the vim25 SOAP API needs, both ways. Requests are written from plain objects
 * whose key order is the schema's element order; responses are parsed into plain objects and
 * read with the helpers below, which never guess a value's type.
 */

/** A managed object reference: `<name type="VirtualMachine">vm-42</name>`. */
export class MoRef {
  constructor(
    readonly type: string,
    readonly value: string,
  ) {}

  toString(): string {
    return `${this.type}:${this.value}`;
  }
}

/** A value written with an explicit `xsi:type`, for elements declared as a base type or anyType. */
export class Typed {
  constructor(
    readonly xsiType: string,
    readonly value: XmlObject | string | number | boolean,
  ) {}
}

export type XmlValue =
  string | number | boolean | MoRef | Typed | XmlObject | readonly XmlValue[] | undefined | null;
export interface XmlObject {
  readonly [element: string]: XmlValue;
}

const envelopeOpen =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
  ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"' +
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
  '<soapenv:Body>';
const envelopeClose = '</soapenv:Body></soapenv:Envelope>';

/** The request envelope of one method call on the object `self`. */
export function soapRequest(method: string, self: MoRef, args: XmlObject): string {
  const body = element('_this', self) + children(args);
  return `${envelopeOpen}<${method} xmlns="urn:vim25">${body}</${method}>${envelopeClose}`;
}

function children(object: XmlObject): string {
  let xml = '';
  for (const [name, value] of Object.entries(object)) xml += element(name, value);
  return xml;
}

function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item: XmlValue) => element(name, item)).join('');
  if (value instanceof MoRef) {
    return `<${name} type="${escape(value.type)}">${escape(value.value)}</${name}>`;
  }
  if (value instanceof Typed) {
    const inner = value.value;
    const content = typeof inner === 'object' ? children(inner) : escape(String(inner));
    return `<${name} xsi:type="${escape(value.xsiType)}">${content}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${children(value as XmlObject)}</${name}>`;
  return `<${name}>${escape(String(value))}</${name}>`;
}

function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A parsed element: attributes under `@name`, text under `#text`, children by name. */
export type Node = { readonly [key: string]: unknown };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  // Every value stays text; the readers below convert what they expect.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Namespace prefixes are kept: `xsi:type` and a reference's own `type` are different things.
  removeNSPrefix: false,
  processEntities: true,
  htmlEntities: false,
});

/** The first child of the SOAP body of a response (the method's response or the fault). */
export function parseSoapBody(xml: string): { name: string; node: Node } {
  const document = parser.parse(xml) as Node;
  const envelope = child(document, (key) => key.endsWith(':Envelope') || key === 'Envelope');
  const body = envelope && child(envelope, (key) => key.endsWith(':Body') || key === 'Body');
  if (!body) throw new Error('the response is not a SOAP envelope');
  const name = Object.keys(body).find((key) => !key.startsWith('@') && key !== '#text');
  if (!name) throw new Error('the SOAP body is empty');
  return { name: name.replace(/^[^:]+:/, ''), node: asNode(body[name]) };
}

function child(node: Node, match: (key: string) => boolean): Node | undefined {
  const key = Object.keys(node).find(match);
  return key === undefined ? undefined : asNode(node[key]);
}

/** An element as a node; an element with only text (or nothing) becomes `{ '#text': ... }`. */
export function asNode(value: unknown): Node {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Node;
  if (typeof value === 'string') return { '#text': value };
  return {};
}

/** Every occurrence of a repeated (or single, or absent) child element. */
export function list(node: Node | undefined, name: string): Node[] {
  const value = node?.[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(asNode);
}

/** The text of an element (or of a child element), '' when absent. */
export function text(node: Node | undefined, name?: string): string {
  const target = name === undefined ? node : node?.[name];
  if (typeof target === 'string') return target;
  const value = asNode(target)['#text'];
  return typeof value === 'string' ? value : '';
}

export function int(node: Node | undefined, name?: string): number {
  const value = text(node, name);
  return value === '' ? 0 : Number.parseInt(value, 10);
}

export function bool(node: Node | undefined, name?: string): boolean {
  return text(node, name) === 'true';
}

/** A managed object reference element. */
export function moRef(node: Node | undefined, name?: string): MoRef | undefined {
  const target = asNode(name === undefined ? node : node?.[name]);
  const type = target['@type'];
  return typeof type === 'string' ? new MoRef(type, text(target)) : undefined;
}

/**
 * The `xsi:type` of an element, if it has one, whatever prefix the server bound the
 * XMLSchema-instance namespace to (vCenter writes `xsi:type`, servers built on Go's encoding/xml
 * `XMLSchema-instance:type`). A reference's own `type` attribute has no prefix and is not it.
 */
export function xsiType(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const key = Object.keys(node).find((name) => /^@[^:]+:type$/.test(name));
  const type = key === undefined ? undefined : node[key];
  return typeof type === 'string' ? type.replace(/^[^:]+:/, '') : undefined;
}

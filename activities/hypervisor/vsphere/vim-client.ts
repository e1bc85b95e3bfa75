import { Agent, request } from 'node:https';
import { HypervisorError } from '../errors';
import { faultError, transportError } from './faults';
import {
  asNode,
  list,
  MoRef,
  moRef,
  type Node,
  parseSoapBody,
  soapRequest,
  text,
  Typed,
  xsiType,
  type XmlObject,
} from './xml';

export interface VimClientOptions {
  /** The SDK endpoint, `https://<vcenter>/sdk`. */
  url: string;
  username: string;
  /** A secret: sent in the Login call only, never logged or put in an error. */
  password: string;
  /** PEM certificate authorities to trust instead of the system's (a private vCenter CA). */
  caPem?: string;
  /** How long one HTTP exchange may take before it counts as failed. */
  requestTimeoutMs?: number;
}

/** The service's well-known managers, from RetrieveServiceContent. */
export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  searchIndex: MoRef;
  sessionManager: MoRef;
  apiVersion: string;
}

/** The properties of one object that a retrieve returned, by property path. */
export type Properties = Map<string, Node>;

const serviceInstance = new MoRef('ServiceInstance', 'ServiceInstance');
/** How long one WaitForUpdatesEx may wait on the server; the HTTP timeout allows for it. */
const waitSeconds = 20;

/**
 * A small typed client of the vim25 SOAP API: one session (logged in on first use, again when
 * the server says it expired, out on close), method calls that turn SOAP faults and transport
 * failures into HypervisorErrors, property retrieval, and tasks awaited through a
 * PropertyCollector's WaitForUpdatesEx (the server answers when the task changes, so no polling).
 */
export class VimClient {
  private readonly agent: Agent;
  private readonly endpoint: URL;
  private content: ServiceContent | undefined;
  private cookie: string | undefined;
  private login: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: VimClientOptions) {
    this.endpoint = new URL(options.url);
    if (this.endpoint.protocol !== 'https:') {
      throw new HypervisorError('HypervisorInvalidRequest', 'the vSphere URL must use https');
    }
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 16,
      ...(options.caPem ? { ca: options.caPem } : {}),
    });
  }

  /** The service content, fetched once per client. */
  async serviceContent(): Promise<ServiceContent> {
    if (this.content) return this.content;
    const response = await this.exchange('RetrieveServiceContent', serviceInstance, {});
    const value = asNode(response.returnval);
    const ref = (name: string) => {
      const found = moRef(value, name);
      if (!found)
        throw new HypervisorError('HypervisorUnavailable', `service content lacks ${name}`);
      return found;
    };
    this.content = {
      rootFolder: ref('rootFolder'),
      propertyCollector: ref('propertyCollector'),
      viewManager: ref('viewManager'),
      searchIndex: ref('searchIndex'),
      sessionManager: ref('sessionManager'),
      apiVersion: text(asNode(value.about), 'apiVersion'),
    };
    return this.content;
  }

  /**
   * Calls `method` on `self` in the session, logging in first if needed and once more if the
   * server answers NotAuthenticated (an expired or terminated session). Returns the response
   * element, whose `returnval` holds the result.
   */
  async call(method: string, self: MoRef, args: XmlObject = {}): Promise<Node> {
    if (this.closed)
      throw new HypervisorError('HypervisorUnavailable', 'the vSphere client is closed');
    await this.ensureSession();
    const sent = this.cookie;
    try {
      return await this.exchange(method, self, args);
    } catch (error) {
      if (!(error instanceof HypervisorError) || error.fault !== 'NotAuthenticated') throw error;
      this.forgetSession(sent);
      await this.ensureSession();
      return this.exchange(method, self, args);
    }
  }

  /** The given properties of each object, by object reference (`type:value`). */
  async retrieve(
    objects: MoRef[],
    type: string,
    paths: string[],
  ): Promise<Map<string, Properties>> {
    if (objects.length === 0) return new Map();
    const { propertyCollector } = await this.serviceContent();
    return this.collect(propertyCollector, {
      propSet: [{ type, pathSet: paths }],
      objectSet: objects.map((obj) => ({ obj, skip: false })),
    });
  }

  /** The given properties of every object of `type` in the inventory, or in one container. */
  async retrieveAll(
    type: string,
    paths: string[],
    /** Where to look (recursively); the whole inventory when absent. */
    container?: MoRef,
  ): Promise<Map<string, Properties>> {
    const { rootFolder, viewManager, propertyCollector } = await this.serviceContent();
    const view = moRef(
      await this.call('CreateContainerView', viewManager, {
        container: container ?? rootFolder,
        type: [type],
        recursive: true,
      }),
      'returnval',
    );
    if (!view)
      throw new HypervisorError('HypervisorUnavailable', 'CreateContainerView returned nothing');
    try {
      return await this.collect(propertyCollector, {
        propSet: [{ type, pathSet: paths }],
        objectSet: [
          {
            obj: view,
            skip: true,
            selectSet: [
              new Typed('TraversalSpec', {
                name: 'view',
                type: 'ContainerView',
                path: 'view',
                skip: false,
              }),
            ],
          },
        ],
      });
    } finally {
      await this.call('DestroyView', view).catch(() => undefined);
    }
  }

  /**
   * Waits for a task to end and returns its result element, or throws its fault as a
   * HypervisorError. A private PropertyCollector follows the task, so concurrent waits do not
   * take each other's updates; `onUpdate` runs after every answer (activities heartbeat there).
   */
  async waitForTask(task: MoRef, onUpdate?: () => void): Promise<Node | undefined> {
    // A collector belongs to its session: after a re-login the old one is gone (not the task),
    // so the wait starts again with a new collector, a few times at most.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.waitOnce(task, onUpdate);
      } catch (error) {
        // The collector's own methods said it is gone (the task is another object).
        const collectorLost =
          error instanceof HypervisorError &&
          error.fault === 'ManagedObjectNotFound' &&
          /: (WaitForUpdatesEx|CreateFilter):/.test(error.message);
        if (!collectorLost || attempt >= 3) throw error;
      }
    }
  }

  private async waitOnce(task: MoRef, onUpdate?: () => void): Promise<Node | undefined> {
    const outcome = await this.follow(
      task,
      'Task',
      ['info.state', 'info.error', 'info.result'],
      (seen) => {
        const state = text(seen.get('info.state'));
        if (state === 'success') return { value: seen.get('info.result') };
        if (state === 'error') {
          const fault = seen.get('info.error');
          throw faultError(
            xsiType(asNode(fault?.fault)) ?? 'RuntimeFault',
            text(fault, 'localizedMessage') || `task ${task.value} failed`,
          );
        }
        return undefined;
      },
      { onUpdate },
    );
    return outcome?.value;
  }

  /**
   * Follows properties of one object through a private PropertyCollector (WaitForUpdatesEx: the
   * server answers when they change) until `decide` returns a result or throws, or `timeoutMs`
   * passes (then undefined). Concurrent follows do not take each other's updates.
   */
  async follow<T>(
    obj: MoRef,
    type: string,
    paths: string[],
    decide: (seen: Map<string, Node>) => { value: T } | undefined,
    options: { onUpdate?: () => void; timeoutMs?: number } = {},
  ): Promise<{ value: T } | undefined> {
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    const { propertyCollector } = await this.serviceContent();
    const collector = moRef(
      await this.call('CreatePropertyCollector', propertyCollector),
      'returnval',
    );
    if (!collector) {
      throw new HypervisorError(
        'HypervisorUnavailable',
        'CreatePropertyCollector returned nothing',
      );
    }
    try {
      await this.call('CreateFilter', collector, {
        spec: { propSet: [{ type, pathSet: paths }], objectSet: [{ obj, skip: false }] },
        partialUpdates: false,
      });
      let version: string | undefined;
      const seen = new Map<string, Node>();
      for (;;) {
        const left = deadline === undefined ? waitSeconds : (deadline - Date.now()) / 1000;
        if (left <= 0) return undefined;
        const response = await this.call('WaitForUpdatesEx', collector, {
          version,
          options: { maxWaitSeconds: Math.max(1, Math.min(waitSeconds, Math.ceil(left))) },
        });
        options.onUpdate?.();
        const update = response.returnval;
        if (update === undefined) continue; // the wait ended without a change
        const set = asNode(update);
        version = text(set, 'version');
        for (const filterSet of list(set, 'filterSet')) {
          for (const objectSet of list(filterSet, 'objectSet')) {
            for (const change of list(objectSet, 'changeSet')) {
              seen.set(text(change, 'name'), asNode(change.val));
            }
          }
        }
        const decided = decide(seen);
        if (decided) return decided;
      }
    } finally {
      await this.call('DestroyPropertyCollector', collector).catch(() => undefined);
    }
  }

  /** Logs out and closes connections; later calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.cookie && this.content) {
        await this.exchange('Logout', this.content.sessionManager, {});
      }
    } catch {
      // The session ends on the server anyway when it expires.
    } finally {
      this.cookie = undefined;
      this.agent.destroy();
    }
  }

  /**
   * RetrievePropertiesEx, page by page. Without a valid session the server still answers, with
   * each property in a `missingSet` saying NotAuthenticated: that too means log in again.
   */
  private async collect(collector: MoRef, specSet: XmlObject): Promise<Map<string, Properties>> {
    await this.ensureSession();
    const sent = this.cookie;
    try {
      return await this.collectOnce(collector, specSet);
    } catch (error) {
      if (!(error instanceof HypervisorError) || error.fault !== 'NotAuthenticated') throw error;
      this.forgetSession(sent);
      return this.collectOnce(collector, specSet);
    }
  }

  /**
   * Drops the session a failed request used, unless another call has already replaced it: a
   * late NotAuthenticated must not throw away a fresh login.
   */
  private forgetSession(sent: string | undefined): void {
    if (this.cookie === sent) this.cookie = undefined;
  }

  private async collectOnce(
    collector: MoRef,
    specSet: XmlObject,
  ): Promise<Map<string, Properties>> {
    const found = new Map<string, Properties>();
    let response = await this.call('RetrievePropertiesEx', collector, { specSet, options: {} });
    for (;;) {
      const result = response.returnval === undefined ? undefined : asNode(response.returnval);
      for (const object of list(result, 'objects')) {
        const obj = moRef(object, 'obj');
        if (!obj) continue;
        const [missing] = list(object, 'missingSet');
        if (missing) {
          const fault = xsiType(asNode(asNode(missing.fault).fault)) ?? 'RuntimeFault';
          throw faultError(fault, `reading ${text(missing, 'path')} of ${obj.value}`);
        }
        const properties: Properties = new Map();
        for (const property of list(object, 'propSet')) {
          properties.set(text(property, 'name'), asNode(property.val));
        }
        found.set(obj.toString(), properties);
      }
      const token = text(result, 'token');
      if (!token) return found;
      response = await this.call('ContinueRetrievePropertiesEx', collector, { token });
    }
  }

  /** Logs in once, however many calls are waiting for it. */
  private async ensureSession(): Promise<void> {
    if (this.cookie) return;
    this.login ??= (async () => {
      const { sessionManager } = await this.serviceContent();
      await this.exchange('Login', sessionManager, {
        userName: this.options.username,
        password: this.options.password,
      });
      if (!this.cookie) {
        throw new HypervisorError('HypervisorUnavailable', 'vSphere login set no session cookie');
      }
    })().finally(() => {
      this.login = undefined;
    });
    await this.login;
  }

  /** One SOAP request and its answer; faults and transport failures become HypervisorErrors. */
  private async exchange(method: string, self: MoRef, args: XmlObject): Promise<Node> {
    const body = soapRequest(method, self, args);
    const { status, setCookie, text: xml } = await this.post(method, body);
    if (setCookie) this.cookie = setCookie;
    let parsed: { name: string; node: Node };
    try {
      parsed = parseSoapBody(xml);
    } catch (error) {
      throw new HypervisorError(
        'HypervisorUnavailable',
        `vSphere answered ${method} with HTTP ${status} and no SOAP message`,
        { cause: error },
      );
    }
    if (parsed.name === 'Fault') {
      const detail = asNode(parsed.node.detail);
      const first = Object.keys(detail).find((key) => !key.startsWith('@') && key !== '#text');
      const faultNode = first === undefined ? undefined : asNode(detail[first]);
      const name = xsiType(faultNode) ?? first?.replace(/Fault$/, '') ?? 'RuntimeFault';
      throw faultError(name, `${method}: ${text(parsed.node, 'faultstring') || name}`);
    }
    if (status !== 200) {
      throw new HypervisorError(
        'HypervisorUnavailable',
        `vSphere answered ${method} with HTTP ${status}`,
      );
    }
    return parsed.node;
  }

  private post(
    method: string,
    body: string,
  ): Promise<{ status: number; setCookie: string | undefined; text: string }> {
    const timeoutMs = this.options.requestTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const req = request(
        this.endpoint,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'text/xml; charset=utf-8',
            // Operators find Berth's sessions by it (vCenter's session list shows it).
            'user-agent': 'berth-vsphere',
            soapaction: `urn:vim25/${this.content?.apiVersion || '6.5'}`,
            ...(this.cookie ? { cookie: this.cookie } : {}),
          },
          // WaitForUpdatesEx holds the request open for up to `waitSeconds`.
          timeout: method === 'WaitForUpdatesEx' ? (waitSeconds + 10) * 1000 : timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => reject(transportError(method, error)));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              setCookie: sessionCookie(res.headers['set-cookie']),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (error) => reject(transportError(method, error)));
      req.end(body);
    });
  }
}

/** The `vmware_soap_session` cookie (name=value only) from Set-Cookie headers. */
function sessionCookie(headers: string[] | undefined): string | undefined {
  const cookie = headers?.find((header) => header.startsWith('vmware_soap_session='));
  return cookie?.split(';')[0];
}

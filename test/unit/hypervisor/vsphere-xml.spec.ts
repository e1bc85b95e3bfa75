import { describe, expect, it } from 'vitest';
import {
  list,
  MoRef,
  moRef,
  parseSoapBody,
  soapRequest,
  text,
  Typed,
  xsiType,
} from '../../../activities/hypervisor/vsphere/xml';

describe('vim25 XML', () => {
  it('writes a call with references, typed values, arrays and escaped text, in key order', () => {
    const xml = soapRequest('CloneVM_Task', new MoRef('VirtualMachine', 'vm-1'), {
      folder: new MoRef('Folder', 'group-4'),
      name: 'berth-<x>&"y"',
      spec: {
        template: false,
        config: {
          extraConfig: [
            new Typed('OptionValue', { key: 'a', value: new Typed('xsd:string', "it's") }),
            new Typed('OptionValue', { key: 'b', value: new Typed('xsd:string', '2') }),
          ],
        },
        skipped: undefined,
      },
    });
    expect(xml).toContain(
      '<CloneVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-1</_this>' +
        '<folder type="Folder">group-4</folder><name>berth-&lt;x&gt;&amp;&quot;y&quot;</name>' +
        '<spec><template>false</template><config>' +
        '<extraConfig xsi:type="OptionValue"><key>a</key><value xsi:type="xsd:string">it&apos;s</value></extraConfig>' +
        '<extraConfig xsi:type="OptionValue"><key>b</key><value xsi:type="xsd:string">2</value></extraConfig>' +
        '</config></spec></CloneVM_Task>',
    );
    expect(xml).not.toContain('skipped');
  });

  it('reads a response without guessing types: text stays text, one element is a list of one', () => {
    const { name, node } = parseSoapBody(
      '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>' +
        '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects>' +
        '<obj type="HostSystem">host-21</obj>' +
        '<propSet><name>name</name><val xsi:type="xsd:string">0123</val></propSet>' +
        '</objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>',
    );
    expect(name).toBe('RetrievePropertiesExResponse');
    const [object] = list(node.returnval as never, 'objects');
    expect(moRef(object, 'obj')).toEqual(new MoRef('HostSystem', 'host-21'));
    const [property] = list(object, 'propSet');
    expect(text(property, 'name')).toBe('name');
    expect(text(property!.val as never)).toBe('0123');
    expect(xsiType(property!.val as never)).toBe('string');
  });

  it("finds a fault's type whatever the server calls the XMLSchema-instance prefix", () => {
    const { node } = parseSoapBody(
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
        '<R xmlns="urn:vim25"><returnval><fault xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"' +
        ' XMLSchema-instance:type="InvalidState"></fault><obj type="Task">task-1</obj></returnval></R>' +
        '</soapenv:Body></soapenv:Envelope>',
    );
    const value = node.returnval as never;
    expect(xsiType(list(value, 'fault')[0])).toBe('InvalidState');
    // A reference's own type attribute is not an xsi:type.
    expect(xsiType(list(value, 'obj')[0])).toBeUndefined();
  });

  it('refuses what is not a SOAP envelope', () => {
    expect(() => parseSoapBody('<html><body>proxy error</body></html>')).toThrow(
      /not a SOAP envelope/,
    );
  });
});

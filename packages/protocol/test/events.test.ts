import { describe, expect, it } from 'vitest';
import {
  type EventParam,
  encodeEventDatagram,
  formatSubscriberSocket,
  parseEventDatagram,
  parseSubscriberSocket,
} from '../src/index.js';
import { loadEventsRecording, toLatin1 } from './helpers/conformance.js';

const recording = loadEventsRecording();
const events = (prefix: string) =>
  recording.filter((l) => l.kind === 'EVENT' && l.title.startsWith(prefix)).map((l) => l.bytes);

// The script's parameters (newest AVP first, as the recording explains).
const SIP_PARAMS: EventParam[] = [
  { name: 'neg', value: -7 },
  { name: 'empty', value: '' },
  { name: 'utf8', value: 'café' },
  { name: 'quote', value: 'a"b\tc\\d' },
  { name: 'nl', value: 'line1\nsay "hi"' },
  { name: 'method', value: 'OPTIONS' },
];
const MY_EVENT: EventParam[] = [
  { name: 'num', value: 42 },
  { name: 'text', value: 'hello world' },
];

describe('event datagrams against the recorded bytes', () => {
  it('2.4 text: named, values only, none', () => {
    const recorded = events('2.4 SIP-triggered script events over udp');
    expect(recorded).toHaveLength(3);
    expect(toLatin1(encodeEventDatagram('text', 'E_SIP_EVENT', SIP_PARAMS))).toBe(
      toLatin1(recorded[0]!),
    );
    const values = SIP_PARAMS.map((p) => ({ name: null, value: p.value }));
    expect(toLatin1(encodeEventDatagram('text', 'E_SIP_VALS', values))).toBe(
      toLatin1(recorded[1]!),
    );
    expect(toLatin1(encodeEventDatagram('text', 'E_SIP_NOPARAM', []))).toBe(toLatin1(recorded[2]!));
    expect(toLatin1(encodeEventDatagram('text', 'E_MY_EVENT', MY_EVENT))).toBe(
      toLatin1(events('2.4 event_subscribe E_MY_EVENT udp')[0]!),
    );
  });

  it('3.6 json: object, array, no params', () => {
    const recorded = events('3.6 SIP-triggered script events over udp');
    expect(toLatin1(encodeEventDatagram('json', 'E_SIP_EVENT', SIP_PARAMS))).toBe(
      toLatin1(recorded[0]!),
    );
    expect(toLatin1(encodeEventDatagram('json', 'E_SIP_NOPARAM', []))).toBe(toLatin1(recorded[2]!));
    expect(toLatin1(encodeEventDatagram('json', 'E_MY_EVENT', MY_EVENT))).toBe(
      toLatin1(events('3.6 event_subscribe E_MY_EVENT udp')[0]!),
    );
    expect(toLatin1(encodeEventDatagram('json', 'E_MI_TEST', [{ name: null, value: 'p1' }]))).toBe(
      toLatin1(events('3.6 MI raise_event positional')[0]!),
    );
    expect(
      toLatin1(
        encodeEventDatagram('json', 'E_MI_TEST', [
          { name: 'k', value: 'v' },
          { name: 'n', value: 2 },
        ]),
      ),
    ).toBe(toLatin1(events('3.6 MI raise_event params=JSON string')[0]!));
  });

  it('parses back what it encodes, in both formats', () => {
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    const text = parseEventDatagram(decode(encodeEventDatagram('text', 'E_SIP_EVENT', SIP_PARAMS)));
    expect(text?.event).toBe('E_SIP_EVENT');
    expect(text?.params).toEqual(
      SIP_PARAMS.map((p) => ({
        name: p.name,
        value: p.value === -7 ? '18446744073709551609' : String(p.value),
      })),
    );
    const json = parseEventDatagram(decode(encodeEventDatagram('json', 'E_MY_EVENT', MY_EVENT)));
    expect(json).toEqual({
      format: 'json',
      event: 'E_MY_EVENT',
      params: { num: 42, text: 'hello world' },
    });
    expect(parseEventDatagram('not an event')).toBeNull();
    expect(parseEventDatagram('{"jsonrpc":"2.0","id":1,"result":"OK"}')).toBeNull();
  });
});

describe('subscriber sockets', () => {
  it('accepts udp:HOST:PORT and unix:PATH as written', () => {
    expect(parseSubscriberSocket('udp:127.0.0.1:17024')).toEqual({
      kind: 'udp',
      host: '127.0.0.1',
      port: 17024,
    });
    expect(parseSubscriberSocket('udp:localhost:9')).toEqual({
      kind: 'udp',
      host: 'localhost',
      port: 9,
    });
    expect(parseSubscriberSocket('udp:[::1]:9000')).toEqual({
      kind: 'udp',
      host: '::1',
      port: 9000,
    });
    expect(parseSubscriberSocket('unix:/run/opensips/sub.sock')).toEqual({
      kind: 'unix',
      path: '/run/opensips/sub.sock',
    });
    expect(formatSubscriberSocket({ kind: 'udp', host: '::1', port: 9000 })).toBe('udp:[::1]:9000');
  });

  it('refuses what the original refused, and a port past 65535', () => {
    for (const bad of [
      'udp:127.0.0.1',
      'udp::5000',
      'udp:127.0.0.1:0',
      'udp:127.0.0.1:abc',
      'udp:127.0.0.1:70000',
      'tcp:127.0.0.1:5000',
      '127.0.0.1:5000',
      'unix:',
      'unix',
      'UDP:127.0.0.1:5000',
      '/run/opensips/ev.sock',
    ]) {
      expect(parseSubscriberSocket(bad), bad).toBeNull();
    }
  });
});

#!/usr/bin/env python3
"""Writes the committed seed corpora of scripts/fuzz.sh (docs/fuzzing.md): realistic messages
of every decoder and boundary values (Int64 max and min, negatives, huge ids and ports in
topics and payloads, NaN-like texts, deep nesting). Run from this directory; rewrites
corpus/<target>/seed-*.  Files the fuzzer adds to its working corpus are not kept here."""
import hashlib, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
I64MAX, I64MIN = 9223372036854775807, -9223372036854775808
BIG = ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615",
       "-1", "0", "2147483648", "99999999999999999999999", "1e308", "-1e308", "1e400", "4.9e-324", "-0"]

def write(target, items):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for item in items:
        b = item if isinstance(item, bytes) else item.encode()
        with open(os.path.join(d, "seed-" + hashlib.sha1(b).hexdigest()[:12]), "wb") as f:
            f.write(b)

def msg(topic, payload):
    return topic + "\n" + payload

# ingest: protocol v1 and every profile of FuzzBuilding (Sources/rentguard-fuzz).
ingest = [
    msg("rg/B1/SD-1/telemetry", '{"ts":1700000000000,"smoke_obscuration_pct_per_m":0.1,"temperature_c":22,"co_ppm":3,"battery_pct":90,"alarm":false}'),
    msg("rg/B1/SD-1/event", '{"ts":1700000000000,"event":"test"}'),
    msg("rg/B1/SD-1/status", '{"ts":1700000000000,"online":true}'),
    msg("rg/B1/PM-1/telemetry", '{"ts":1700000000000,"power_w":450,"voltage_v":229,"current_a":2,"energy_kwh":12.5}'),
    msg("rg/B1/WM-1/telemetry", '{"ts":1700000000000,"volume_l":1234.5,"flow_l_per_min":3}'),
    msg("rg/B1/CH-1/telemetry", '{"ts":1700000000000,"ambient_c":24,"ports":[{"port":1,"state":"charging","voltage_v":52,"current_a":3,"power_w":156,"temperature_c":31}]}'),
    msg("rg/B1/CH-1/event", '{"ts":1700000000000,"event":"port_off","port":1}'),
    msg("rg/B1/UNKNOWN/telemetry", '{"ts":1700000000000}'),
    msg("zigbee2mqtt/sd", '{"smoke":true,"battery":80,"battery_low":false,"tamper":false,"linkquality":90}'),
    msg("zigbee2mqtt/co", '{"carbon_monoxide":true,"co":120,"battery":80}'),
    msg("zigbee2mqtt/sd/availability", '{"state":"online"}'),
    msg("zigbee2mqtt/sd/availability", "offline"),
    msg("tele/meter/SENSOR", '{"Time":"2023-11-14T22:13:00","ENERGY":{"Total":12.5,"Power":450,"Voltage":229,"Current":2.0}}'),
    msg("tele/dual/SENSOR", '{"Time":"2023-11-14T22:13:00","ENERGY":{"Total":[1.5,2.5],"Power":[10,20],"Voltage":230,"Current":[0.1,0.2]}}'),
    msg("tele/charger/SENSOR", '{"Time":"2023-11-14T22:13:00","ENERGY":{"Power":[100,0],"Voltage":[52,52],"Current":[2,0]},"DS18B20-1":{"Temperature":30}}'),
    msg("tele/meter/LWT", "Online"),
    msg("stat/meter/RESULT", '{"POWER":"OFF"}'),
    msg("stat/meter/RESULT", '{"POWER1":"EXPLODE"}'),
    msg("stat/meter/RESULT", '{"POWER":5}'),
    msg("stat/meter/POWER1", "SIDEWAYS"),
    msg("stat/meter/POWER", ""),
    msg("stat/charger/POWER9223372036854775807", "ON"),
    msg("stat/charger/POWER-1", "ON"),
    msg("stat/charger/RESULT", '{"POWER9223372036854775807":"ON"}'),
    msg("plus1pm/status/switch:0", '{"id":0,"output":true,"apower":450.5,"voltage":229,"current":2,"aenergy":{"total":1234.5}}'),
    msg("plus1pm/status/switch:0", '{"aenergy":5}'),
    msg("plus1pm/events/rpc", '{"method":5}'),
    msg("plus1pm/events/rpc", '{"src":"plus1pm","method":"NotifyStatus","params":{"ts":1700000000.5,"switch:0":{"id":0,"apower":12}}}'),
    msg("pro2pm/status/switch:1", '{"id":1,"output":false,"apower":0,"temperature":{"tC":40}}'),
    msg("pro2pm/status/switch:9223372036854775807", '{"id":9223372036854775807,"output":true}'),
    msg("pro2pm/status/switch:-1", '{"output":true}'),
    msg("pro2pm/events/rpc", '{"method":"NotifyStatus","params":{"switch:9223372036854775807":{"output":true}}}'),
    msg("pro2pm/events/rpc", '{"method":"NotifyStatus","params":{"ts":9.3e18,"switch:0":{"output":true}}}'),
    msg("plus1pm/status/em1:0", '{"id":0,"current":2,"voltage":230,"act_power":460}'),
    msg("plus1pm/online", "true"),
    msg("shellies/plug/relay/0", "on"),
    msg("shellies/plug/relay/0", "sideways"),
    msg("shellies/plug/relay/0", ""),
    msg("shellies/plug/relay/0/power", "450.5"),
    msg("shellies/plug/relay/0/energy", "123456"),
    msg("shellies/relay2/relay/1", "off"),
    msg("shellies/relay2/relay/9223372036854775807", "on"),
    msg("shellies/relay2/relay/-1", "on"),
    msg("shellies/relay2/relay/9223372036854775807/power", "5"),
    msg("shellies/relay2/emeter/9223372036854775807/power", "5"),
    msg("shellies/plug/online", "true"),
    msg("site/water", '{"meter":{"vol_m3":1.234,"flow/min":0.5},"time":1700000000}'),
    msg("site/water", '{"meter":{"vol_m3":1e308},"time":9223372036854775807}'),
    msg("site/water/lwt", "down"),
    msg("site/smoke/state", '{"smoke":0.2,"alarm":"ALARM","t":21.5,"ts":1700000000000}'),
]
for v in BIG:
    ingest += [
        msg("rg/B1/SD-1/telemetry", '{"ts":%s,"smoke_obscuration_pct_per_m":%s,"temperature_c":%s}' % (v, v, v)),
        msg("rg/B1/CH-1/telemetry", '{"ts":1700000000000,"ports":[{"port":%s,"state":"charging","current_a":%s,"temperature_c":%s}]}' % (v, v, v)),
        msg("rg/B1/CH-1/event", '{"ts":1700000000000,"event":"port_off","port":%s}' % v),
        msg("rg/B1/WM-1/telemetry", '{"ts":1700000000000,"volume_l":%s}' % v),
        msg("rg/B1/PM-1/telemetry", '{"ts":1700000000000,"power_w":%s,"energy_kwh":%s}' % (v, v)),
        msg("zigbee2mqtt/co", '{"co":%s,"battery":%s,"temperature":%s}' % (v, v, v)),
        msg("tele/meter/SENSOR", '{"Time":"2023-11-14T22:13:00","ENERGY":{"Total":%s,"Power":%s}}' % (v, v)),
        msg("plus1pm/status/switch:0", '{"id":%s,"apower":%s,"aenergy":{"total":%s}}' % (v, v, v)),
        msg("shellies/plug/relay/0/energy", v),
        msg("site/water", '{"meter":{"vol_m3":%s},"time":%s}' % (v, v)),
    ]
write("ingest", ingest)

# json: the parser alone.
json = ['{}', '[]', 'null', 'true', '"\\u00e9\\ud83d\\ude00"', '"\\ud800"', '{"a":1,"a":2}', '[1,2,[3,[4]]]',
        '{"k":"v","n":-0.0,"e":1E-7}', '[' * 600 + ']' * 600, '"' + 'x' * 300 + '"', ' \t\r\n{ "x" : [ ] } ']
json += BIG + ['[%s]' % v for v in BIG] + ['-', '01', '1.', '.5', '1e', 'nul', '"\\x"', '{"a"}', '\xff\xfe']
write("json", json)

# centre: first byte = chunk size; then GB/T 26875.3 packets (@@, control unit, data, sum, ##).
def frame(serial, cmd, data, length=None, ts=(0, 0, 12, 14, 11, 23)):
    cu = struct.pack("<HBB", serial, 1, 1) + bytes(ts) + bytes(6) + bytes([1, 2, 3, 4, 5, 6])
    n = len(data) if length is None else length
    cu += struct.pack("<H", n) + bytes([cmd])
    return b"@@" + cu + data + bytes([sum(cu + data) & 0xFF]) + b"##"
centre = [
    b"\x07" + frame(1, 3, b""),                                    # acknowledgement
    b"\x40" + frame(2, 6, b""),                                    # denial
    b"\x01" + frame(3, 1, bytes([1, 1, 21]) + bytes(5)),           # a control command with an object
    b"\x10" + frame(4, 2, bytes([2, 1]) + bytes(46)),              # component status
    b"\x03" + frame(0xFFFF, 255, bytes(1024)),
    b"\x05" + frame(5, 2, b"", length=65535),
    b"\x05" + frame(6, 2, bytes([21, 1, 0, 0, 0, 0, 0, 0])),
    b"\x02" + frame(7, 2, bytes([24, 1, 0, 0, 0, 0, 0, 0]), ts=(59, 59, 23, 31, 12, 99)),
    b"\x02" + frame(8, 2, b"", ts=(255, 255, 255, 255, 255, 255)),
    b"\x00" + b"@" * 256,
    b"\x3f" + b"@@" + b"##" * 40,
    b"\x04" + frame(9, 3, b"")[:-3] + b"\x00##" + frame(10, 3, b""),
]
write("centre", centre)

# config: the YAML loader, with the shapes of docs/configuration.md and some edge values.
config = [
    "gateway: {id: gw, building: b1}\n",
    """gateway: {id: gw-1, building: b1, timezone: Asia/Shanghai}
broker: {url: "mqtt://127.0.0.1:1883", keepalive_s: 30}
registry: {topic_prefix: registry, mqtt: {url: "mqtt://127.0.0.1:1883"}}
units:
  - {id: "101", floor: 1, area_m2: 40, registered_occupants: 2, adjacent: ["102"]}
  - {id: "102", floor: 1, area_m2: 30, registered_occupants: 1}
devices:
  - {id: SD-1, kind: smoke_detector, unit: "101", zone: bedroom, report_interval_s: 60}
  - {id: PM-1, kind: power_meter, unit: "101", rated_current_a: 40, commands: [relay_off], profile: tasmota, topic: meter}
  - {id: CH-1, kind: charger, ports: 4, rated_port_current_a: 5.5, profile: shelly_gen2, topic: pro2pm}
  - {id: WM-1, kind: water_meter, unit: "102", profile: generic_json, topic: site/water,
     mapping: {fields: [{pointer: /meter/vol, to: volume_l, scale: 1000}], timestamp: /t, timestamp_unit: s}}
thresholds:
  smoke: {alarm_obscuration_pct_per_m: 4.0}
""",
    "gateway: {id: gw, building: b1}\ndevices:\n  - {id: C, kind: charger, ports: 9223372036854775807}\n",
    "gateway: {id: gw, building: b1}\ndevices:\n  - {id: C, kind: charger, ports: -1, rated_port_current_a: -5}\n",
    "gateway: {id: gw, building: b1}\nunits:\n  - {id: u, area_m2: 1e400, registered_occupants: 9223372036854775808}\n",
    "gateway: {id: gw, building: b1}\ndevices:\n  - {id: X, kind: power_meter, profile: tasmota, topic: t, channel: 9223372036854775807}\n",
    "gateway: {id: gw, building: b1}\ndevices:\n  - {id: X, kind: power_meter, profile: shelly_gen2, topic: t, channel: -9223372036854775808}\n",
    "gateway: {id: gw, building: b1}\nstorage: {flush_interval_s: 9223372036854775807}\n",
    "a: &a {x: 1}\nb: &b {<<: [*a, *a]}\ngateway: {id: gw, building: b1}\n",
    "gateway: !!binary aGVsbG8=\n",
    "[1, 2, 3]\n",
    "",
    "gateway: {id: gw, building: b1}\ngateway: {id: gw2, building: b2}\n",
]
write("config", config)

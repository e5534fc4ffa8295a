// Decodes DTS Avro messages with npm's avsc, an Avro implementation
// independent of Sluice's, against the schema DTS publishes.
//
// usage: node dts-avro-decode.js <dts-record.avsc> <messages.json>
// messages.json: [{"name": "...", "hex": "<plain Avro binary>"}, ...]
// Prints [{"name", "value" (avsc's JSON form of the Record), "reencoded"
// (hex of avsc re-encoding the value it read)}] or exits 1 with a reason.
'use strict';
const fs = require('fs');
const avro = require('avsc');

const [schemaPath, messagesPath] = process.argv.slice(2);
const arr = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
// The file is an array of 14 named types; forSchema on it gives the union of
// them, which cannot decode a Record. Select the Record from the registry.
const registry = {};
avro.Type.forSchema(arr, { registry });
const Record = registry['com.alibaba.dts.formats.avro.Record'];
if (!Record) {
  console.error('no com.alibaba.dts.formats.avro.Record in ' + schemaPath);
  process.exit(1);
}
// The self-contained form a registry holds must read the same bytes.
const Inline = avro.Type.forSchema(Record.schema());

const out = [];
for (const m of JSON.parse(fs.readFileSync(messagesPath, 'utf8'))) {
  const buf = Buffer.from(m.hex, 'hex');
  let res;
  try {
    res = Record.decode(buf, 0);
  } catch (e) {
    console.error(m.name + ': avsc cannot decode: ' + e.message);
    process.exit(1);
  }
  if (res.offset !== buf.length) {
    console.error(m.name + ': avsc read ' + res.offset + ' of ' + buf.length + ' bytes');
    process.exit(1);
  }
  const inl = Inline.decode(buf, 0);
  if (inl.offset !== buf.length || !Inline.toBuffer(inl.value).equals(Record.toBuffer(res.value))) {
    console.error(m.name + ': the self-contained schema reads the bytes differently');
    process.exit(1);
  }
  out.push({ name: m.name, value: Record.toString(res.value), reencoded: Record.toBuffer(res.value).toString('hex') });
}
process.stdout.write(JSON.stringify(out));

package mysql

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// HeaderDroppedColumns lists, comma-separated, the columns that
// oversize.record.handling=drop-columns nulled in a record.
const HeaderDroppedColumns = "__sluice.dropped.columns"

// recordOverhead approximates what a change record adds around its row
// images: the source block, op, timestamps and the key.
const recordOverhead = 256

// rawSize is the size a column value adds to a record: its bytes for
// strings and blobs, 8 for anything else.
func rawSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	}
	return 8
}

// textSize is about the most a value takes in the text formats (Kafka
// Connect's JSON, Canal, Shareplex and Maxwell JSON): text with its JSON
// escapes, bytes twice over (base64, hex, or Latin-1 characters as
// UTF-8), anything else as rawSize. The binlog gives text columns as
// bytes too, so the column's schema tells which it is.
func textSize(cc *columnConverter, v any) int64 {
	switch x := v.(type) {
	case string:
		return jsonTextSize(x)
	case []byte:
		if cc.schema == nil || cc.schema.Type != connect.TypeString {
			return 2 * int64(len(x))
		}
		return jsonTextSize(x)
	}
	return rawSize(v)
}

func jsonTextSize[T string | []byte](text T) int64 {
	n := int64(len(text))
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			n++
		case c < 0x20:
			n += 5 // \u00XX
		}
	}
	return n
}

func rawColumnSize(_ *columnConverter, v any) int64 { return rawSize(v) }

// textExpansion bounds textSize / rawSize: a record whose raw estimate
// times it fits the limit fits in any format, without reading its text.
const textExpansion = 6

// binaryConverters write a record's strings and bytes as they are.
var binaryConverters = map[string]bool{
	"io.confluent.connect.avro.AvroConverter":                true,
	"io.sluice.converters.DtsAvroConverter":                  true,
	"org.apache.kafka.connect.converters.ByteArrayConverter": true,
}

// textValueConverter tells whether the connector's value.converter may
// write text: JSON escapes and base64 make a record bigger than its row
// images, and the producer refuses a record over max.request.size (set
// from max.record.bytes) however oversize.record.handling is set. A
// worker-level converter is not in the connector's config and is taken to
// be text, as Kafka Connect's default JsonConverter is.
func textValueConverter(props map[string]string) bool {
	name := strings.TrimSpace(props["value.converter"])
	if name == "" {
		return true
	}
	if p, err := connect.Lookup(name, connect.PluginConverter); err == nil {
		name = p.Class
	}
	return !binaryConverters[name]
}

// changeSize estimates the size of a change record from its row images,
// counting only the columns the record carries.
func changeSize(ts *tableSchema, before, after []any) int64 {
	return changeSizeBy(ts, before, after, rawColumnSize)
}

func changeSizeBy(ts *tableSchema, before, after []any, size func(*columnConverter, any) int64) int64 {
	n := int64(recordOverhead)
	for _, img := range [][]any{before, after} {
		if img == nil {
			continue
		}
		for _, cc := range ts.convs {
			if cc.index < len(img) {
				n += size(cc, img[cc.index]) + int64(len(cc.name)) + 4
			}
		}
	}
	return n
}

type colSize struct {
	conv *columnConverter
	pos  int // position in the row struct
	size int64
}

// largestColumns returns the record's columns by decreasing size (the
// larger of the two images).
func largestColumns(ts *tableSchema, before, after []any, size func(*columnConverter, any) int64) []colSize {
	out := make([]colSize, 0, len(ts.convs))
	for i, cc := range ts.convs {
		var sz int64
		for _, img := range [][]any{before, after} {
			if img != nil && cc.index < len(img) {
				sz = max(sz, size(cc, img[cc.index]))
			}
		}
		out = append(out, colSize{conv: cc, pos: i, size: sz})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].size > out[b].size })
	return out
}

// checkSize enforces max.record.bytes on a row record. It returns false
// when the record is to be skipped; under drop-columns it nulls the
// largest nullable columns of the record's row structs until the estimate
// fits and lists them in a header.
func (r *router) checkSize(rec *connect.SourceRecord, ts *tableSchema, rt *tableRoute, before, after []any, log *slog.Logger) (bool, error) {
	limit := r.d.MaxRecordBytes
	if limit <= 0 {
		return true, nil
	}
	measure := rawColumnSize
	size := changeSize(ts, before, after)
	if r.d.textValues && size*textExpansion > limit {
		measure = textSize
		size = changeSizeBy(ts, before, after, measure)
	}
	if size <= limit {
		return true, nil
	}
	cols := largestColumns(ts, before, after, measure)
	switch r.d.OversizeHandling {
	case OversizeSkip:
		r.skipped.Add(1)
		if !rt.skipLogged {
			rt.skipLogged = true
			log.Warn("skipping a change record larger than max.record.bytes (further ones of this table are only counted)",
				"table", ts.table.ID.String(), "key", fmt.Sprint(rec.Key), "estimated_bytes", size, "limit", limit)
		}
		return false, nil
	case OversizeDropColumns:
		env, _ := rec.Value.(*connect.Struct)
		var dropped []string
		for _, c := range cols {
			if size <= limit || c.size == 0 {
				break
			}
			if !c.conv.optional {
				continue
			}
			for _, img := range []string{connect.FieldBefore, connect.FieldAfter} {
				if row, _ := env.Get(img).(*connect.Struct); row != nil {
					row.Set(c.pos, nil)
				}
			}
			n := int64(0)
			if before != nil {
				n += measure(c.conv, before[c.conv.index])
			}
			if after != nil {
				n += measure(c.conv, after[c.conv.index])
			}
			size -= n
			dropped = append(dropped, c.conv.name)
		}
		if size <= limit {
			rec.Headers.AddString(HeaderDroppedColumns, strings.Join(dropped, ","))
			return true, nil
		}
		return false, fmt.Errorf("a change of table %s with key %v is about %d bytes, over %s=%d, even with its nullable columns %s dropped; its largest columns are %s: exclude NOT NULL large columns with %s (e.g. %s.%s)",
			ts.table.ID, rec.Key, size, KeyMaxRecordBytes, limit, strings.Join(dropped, ", "), describeCols(cols), KeyColumnExclude, regexpQuoteID(ts.table.ID), cols[0].conv.name)
	}
	return false, fmt.Errorf("a change of table %s with key %v is about %d bytes, over %s=%d; its largest columns are %s: keep them out with %s (e.g. %s.%s), raise %s (and the producer's max.request.size), or set %s to drop-columns or skip",
		ts.table.ID, rec.Key, size, KeyMaxRecordBytes, limit, describeCols(cols), KeyColumnExclude, regexpQuoteID(ts.table.ID), cols[0].conv.name, KeyMaxRecordBytes, KeyOversizeHandling)
}

func describeCols(cols []colSize) string {
	var parts []string
	for i, c := range cols {
		if i == 3 || c.size == 0 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d bytes)", c.conv.name, c.size))
	}
	return strings.Join(parts, ", ")
}

func regexpQuoteID(id TableID) string {
	return strings.ReplaceAll(id.DB, ".", `\.`) + `\.` + strings.ReplaceAll(id.Table, ".", `\.`)
}

// shapeRow applies the DTS options to a row record built from the raw row
// images: topic, partition and key (router), then max.record.bytes. It
// returns false when the record is to be dropped. The snapshot calls it
// for its read records (before nil), each reader with its own router.
func (r *router) shapeRow(rec *connect.SourceRecord, ts *tableSchema, before, after []any, log *slog.Logger) (bool, error) {
	rt, err := r.route(ts)
	if err != nil {
		return false, err
	}
	img := after
	if img == nil {
		img = before
	}
	if rt.maxwellRows != nil && !maxwellRowIncluded(rt.maxwellRows, ts.table, img) {
		return false, nil
	}
	r.apply(rec, ts, rt, img)
	return r.checkSize(rec, ts, rt, before, after, log)
}

package avro

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"

	"github.com/linkedin/goavro/v2"
	"github.com/riferrei/srclient"
	"github.com/sluicehq/sluice/connect"
)

// Class is the Java class name configs use for this converter.
const Class = "io.confluent.connect.avro.AvroConverter"

// Version is the Confluent Platform release whose AvroConverter behaviour
// this package follows.
const Version = "7.9.0"

func init() {
	connect.Register(connect.Plugin{
		Class:   Class,
		Type:    connect.PluginConverter,
		Version: Version,
		Aliases: []string{"avro"},
		New:     func() any { return New() },
	})
}

const magicByte = 0x0

// Converter is Confluent's AvroConverter: Connect data ⇄ Avro in the
// Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro
// binary), with schemas kept in a Schema Registry.
//
// Each Connect schema (by pointer, per topic) is converted, registered and
// compiled once; after that a record costs no registry call and no schema
// conversion. Likewise each schema id is fetched and converted once.
type Converter struct {
	isKey        bool
	cfg          dataConfig
	subjectFn    func(topic string, t *avroType) (string, error)
	strategyName string
	autoRegister bool
	useLatest    bool
	cacheSize    int
	reg          *registry

	mu      sync.RWMutex
	writers map[writerKey]*writer
	readers map[int32]*reader
}

type writerKey struct {
	schema *connect.Schema
	topic  string
}

type writer struct {
	id      [5]byte // magic byte and schema id
	codec   *goavro.Codec
	enc     *encoder
	scratch sync.Pool
}

type reader struct {
	codec  *goavro.Codec
	dec    *decoder
	schema *connect.Schema
}

var (
	_ connect.Converter       = (*Converter)(nil)
	_ connect.AppendConverter = (*Converter)(nil)
	_ connect.Configurable    = (*Converter)(nil)
	_ connect.Versioned       = (*Converter)(nil)
)

// New returns an unconfigured converter.
func New() *Converter { return &Converter{} }

// Version returns Version.
func (c *Converter) Version() string { return Version }

// Config returns the converter's configuration keys.
func (c *Converter) Config() *connect.ConfigDef { return configDef }

// Configure reads the settings (without the key.converter. /
// value.converter. prefix).
func (c *Converter) Configure(props map[string]string, isKey bool) error {
	cfg, err := configDef.Parse(props)
	if err != nil {
		return fmt.Errorf("avro converter: %w", err)
	}
	c.isKey = isKey
	c.cfg = dataConfig{connectMetaData: cfg.Bool(KeyConnectMetaData), scrubNames: cfg.Bool(KeyScrubNames)}
	c.autoRegister = cfg.Bool(KeyAutoRegister)
	c.useLatest = cfg.Bool(KeyUseLatest)
	if c.useLatest && c.autoRegister {
		return fmt.Errorf("avro converter: %s=true needs %s=false (the latest registered schema is used instead of registering the record's own)", KeyUseLatest, KeyAutoRegister)
	}
	c.cacheSize = cfg.Int(KeyCacheSize)
	strategyKey := KeyValueStrategy
	if isKey {
		strategyKey = KeyKeyStrategy
	}
	c.strategyName = cfg.String(strategyKey)
	short := c.strategyName[strings.LastIndexByte(c.strategyName, '.')+1:]
	suffix := "-value"
	if isKey {
		suffix = "-key"
	}
	switch short {
	case "TopicNameStrategy":
		c.subjectFn = func(topic string, _ *avroType) (string, error) { return topic + suffix, nil }
	case "RecordNameStrategy", "TopicRecordNameStrategy":
		withTopic := short == "TopicRecordNameStrategy"
		c.subjectFn = func(topic string, t *avroType) (string, error) {
			if !t.named() {
				return "", fmt.Errorf("%s=%s needs a record schema, but the %s schema is Avro %s; use TopicNameStrategy for it", strategyKey, short, c.what(), t.kind)
			}
			if withTopic {
				return topic + "-" + t.fullName(), nil
			}
			return t.fullName(), nil
		}
	}
	if c.reg, err = newRegistry(cfg); err != nil {
		return fmt.Errorf("avro converter: %w", err)
	}
	c.writers = map[writerKey]*writer{}
	c.readers = map[int32]*reader{}
	return nil
}

func (c *Converter) what() string {
	if c.isKey {
		return "key"
	}
	return "value"
}

// FromConnectData serializes value; a nil value gives nil bytes (a
// tombstone).
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	return c.AppendConnectData(nil, topic, headers, schema, value)
}

// AppendConnectData appends the serialized form to dst.
func (c *Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if c.reg == nil {
		return nil, fmt.Errorf("avro converter used before Configure")
	}
	if value == nil {
		if schema != nil && !schema.Optional && schema.Default == nil {
			return nil, fmt.Errorf("avro converter: topic %s: null %s for the non-optional schema %s", topic, c.what(), schema)
		}
		return dst, nil
	}
	w, err := c.writerFor(topic, schema)
	if err != nil {
		return nil, err
	}
	sc, _ := w.scratch.Get().(*scratch)
	native, err := w.enc.encode(value, sc)
	if err != nil {
		w.scratch.Put(sc)
		return nil, fmt.Errorf("avro converter: topic %s: converting the %s to Avro: %w", topic, c.what(), err)
	}
	dst = append(dst, w.id[:]...)
	dst, err = w.codec.BinaryFromNative(dst, native)
	w.scratch.Put(sc)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: encoding the %s: %w", topic, c.what(), err)
	}
	return dst, nil
}

func (c *Converter) writerFor(topic string, schema *connect.Schema) (*writer, error) {
	k := writerKey{schema, topic}
	c.mu.RLock()
	w := c.writers[k]
	c.mu.RUnlock()
	if w != nil {
		return w, nil
	}
	w, err := c.newWriter(topic, schema)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.writers) >= c.cacheSize {
		// A connector that builds a new schema object per record would grow
		// the cache without bound; start over instead.
		c.writers = map[writerKey]*writer{}
	}
	c.writers[k] = w
	c.mu.Unlock()
	return w, nil
}

func (c *Converter) newWriter(topic string, schema *connect.Schema) (*writer, error) {
	own, err := toAvroSchema(c.cfg, schema)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: the %s schema has no Avro form: %w", topic, c.what(), err)
	}
	text, err := schemaJSON(own)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: %w", topic, err)
	}
	subject, err := c.subjectFn(topic, own)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: %w", topic, err)
	}
	target := own
	var id int
	switch {
	case c.autoRegister:
		err = c.reg.do(func(cl *srclient.SchemaRegistryClient) error {
			s, err := cl.CreateSchema(subject, text, srclient.Avro)
			if err == nil {
				id = s.ID()
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("avro converter: topic %s: registering the %s schema under subject %s at %s: %w; check that the registry is reachable and that the schema is compatible with the subject's earlier versions", topic, c.what(), subject, c.reg.where(), err)
		}
	case c.useLatest:
		var latest string
		err = c.reg.do(func(cl *srclient.SchemaRegistryClient) error {
			s, err := cl.GetLatestSchema(subject)
			if err == nil {
				id, latest = s.ID(), s.Schema()
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("avro converter: topic %s: reading the latest %s schema of subject %s at %s: %w; register a schema under that subject or set %s=true", topic, c.what(), subject, c.reg.where(), err, KeyAutoRegister)
		}
		if target, err = parseSchema(latest); err != nil {
			return nil, fmt.Errorf("avro converter: topic %s: the latest schema (id %d) of subject %s: %w", topic, id, subject, err)
		}
	default:
		err = c.reg.do(func(cl *srclient.SchemaRegistryClient) error {
			s, err := cl.LookupSchema(subject, text, srclient.Avro)
			if err == nil {
				id = s.ID()
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("avro converter: topic %s: the %s schema is not registered under subject %s at %s (%w); register it, set %s=true, or set %s=true", topic, c.what(), subject, c.reg.where(), err, KeyAutoRegister, KeyUseLatest)
		}
	}
	return c.compileWriter(topic, subject, schema, target, id)
}

func (c *Converter) compileWriter(topic, subject string, schema *connect.Schema, target *avroType, id int) (*writer, error) {
	phys, err := physicalJSON(target)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s subject %s: %w", topic, subject, err)
	}
	codec, err := goavro.NewCodec(phys)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s subject %s: compiling schema id %d: %w", topic, subject, id, err)
	}
	pb := &planBuilder{scrub: c.cfg.scrubNames}
	enc, err := pb.build(schema, target, false, c.what())
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: the %s cannot be written with schema id %d of subject %s: %w", topic, c.what(), id, subject, err)
	}
	w := &writer{codec: codec, enc: enc}
	w.id[0] = magicByte
	binary.BigEndian.PutUint32(w.id[1:], uint32(id))
	w.scratch.New = func() any { return enc.newScratch(pb) }
	return w, nil
}

// ToConnectData deserializes Confluent-framed Avro, fetching the writer's
// schema by id (once per id).
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if c.reg == nil {
		return connect.SchemaAndValue{}, fmt.Errorf("avro converter used before Configure")
	}
	if data == nil {
		return connect.SchemaAndValue{}, nil
	}
	if len(data) < 5 {
		return connect.SchemaAndValue{}, fmt.Errorf("avro converter: topic %s: %d bytes are too short for the Confluent wire format (magic byte and 4-byte schema id)", topic, len(data))
	}
	if data[0] != magicByte {
		return connect.SchemaAndValue{}, fmt.Errorf("avro converter: topic %s: unknown magic byte 0x%02x; the data was not written by a Confluent Avro serializer", topic, data[0])
	}
	id := int32(binary.BigEndian.Uint32(data[1:5]))
	r, err := c.readerFor(topic, id)
	if err != nil {
		return connect.SchemaAndValue{}, err
	}
	native, _, err := r.codec.NativeFromBinary(data[5:])
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("avro converter: topic %s: decoding the %s with schema id %d: %w", topic, c.what(), id, err)
	}
	v, err := r.dec.decode(native)
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("avro converter: topic %s: converting the %s with schema id %d: %w", topic, c.what(), id, err)
	}
	return connect.SchemaAndValue{Schema: r.schema, Value: v}, nil
}

func (c *Converter) readerFor(topic string, id int32) (*reader, error) {
	c.mu.RLock()
	r := c.readers[id]
	c.mu.RUnlock()
	if r != nil {
		return r, nil
	}
	if id <= 0 {
		return nil, fmt.Errorf("avro converter: topic %s: invalid schema id %d", topic, id)
	}
	var text string
	err := c.reg.do(func(cl *srclient.SchemaRegistryClient) error {
		s, err := cl.GetSchema(int(id))
		if err == nil {
			text = s.Schema()
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: fetching schema id %d from %s: %w", topic, id, c.reg.where(), err)
	}
	t, err := parseSchema(text)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: schema id %d: %w", topic, id, err)
	}
	s, dec, err := toConnectSchema(c.cfg, t)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: schema id %d has no Connect form: %w", topic, id, err)
	}
	phys, err := physicalJSON(t)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: schema id %d: %w", topic, id, err)
	}
	codec, err := goavro.NewCodec(phys)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: compiling schema id %d: %w", topic, id, err)
	}
	r = &reader{codec: codec, dec: dec, schema: s}
	c.mu.Lock()
	if len(c.readers) >= c.cacheSize {
		c.readers = map[int32]*reader{}
	}
	c.readers[id] = r
	c.mu.Unlock()
	return r, nil
}

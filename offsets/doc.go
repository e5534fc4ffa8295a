// Package offsets owns source-offset storage: the backing stores (file,
// memory; the Kafka offsets topic joins them with distributed mode) and the
// byte format Kafka Connect uses for offset keys and values, so offsets can
// move between Sluice, Kafka Connect and Debezium.
//
// Keys and values are what Kafka Connect's internal JsonConverter
// (schemas.enable=false) writes to the offsets topic: the key is the JSON
// array ["<connector>",{partition}] and the value the JSON object of the
// offset, or nothing (a tombstone) for a deleted offset.
//
// Java serialises a partition map in the map's iteration order, which a Go
// map cannot reproduce. Sluice therefore writes partition keys sorted, which
// is byte-identical to Java for the common single-key partitions (Debezium's
// {"server":…}), and indexes every key it reads by its canonical (sorted)
// form, so a key written by Java with another key order still matches. When
// a partition is already stored under other bytes, those bytes are reused,
// so later writes compact onto the same Kafka key.
package offsets

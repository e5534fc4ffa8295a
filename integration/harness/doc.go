// Package harness starts the real servers that Sluice's end-to-end tests, the
// benchmark program and the demo run against: a private MariaDB with the
// binlog configured the way the MySQL connector needs it, and a
// Kafka-protocol broker (franz-go's in-process kfake, or an external cluster
// named by SLUICE_TEST_KAFKA). It also reads topics back with a real
// librdkafka consumer so tests check what a Kafka user would see.
//
// Every starter has a plain form returning an error (StartMariaDB,
// StartKafka) for programs, and a testing form (MariaDBForTest,
// KafkaForTest) that skips or fails the test and registers cleanup.
//
// Each MariaDB gets its own temporary datadir and free port, so tests may
// run many in parallel. On Linux the server is bound to the life of the
// process that started it (it is killed if that process dies), and datadirs
// left behind by a dead process are removed by the next StartMariaDB.
package harness

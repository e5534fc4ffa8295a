package runtime

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/javastore"
)

// Kafka Connect's forced source-producer defaults, in librdkafka's terms,
// plus the partitioner Java clients use so keys land where they would with
// Kafka Connect (librdkafka's default hashes with CRC32).
func sourceProducerDefaults(bootstrap, clientID string) kafka.ConfigMap {
	return kafka.ConfigMap{
		"bootstrap.servers":  bootstrap,
		"client.id":          clientID,
		"acks":               "all",
		"max.in.flight":      1,
		"enable.idempotence": false,
		// delivery.timeout.ms=Integer.MAX_VALUE: retry until acknowledged.
		"message.timeout.ms": 2147483647,
		"partitioner":        "murmur2_random",
		// buffer.memory's 32 MiB default bounds what waits for a slow or
		// absent broker; librdkafka's own default is 1 GiB.
		"queue.buffering.max.kbytes": 32768,
		"go.delivery.reports":        true,
		"go.delivery.report.fields":  "none",
		// The Go client's channels default to a million slots each (23 MB
		// of heap the GC scans every cycle); deliveries never exceed the
		// task's in-flight bound, and ProduceChannel is not used.
		"go.events.channel.size":  maxInFlight + 1024,
		"go.produce.channel.size": 1,
		"log.connection.close":    false,
		// KIP-714 client telemetry: nothing in Sluice collects it, and with
		// it on librdkafka logs "Telemetry client instance id changed" at
		// every connect. producer.enable.metrics.push=true turns it back on.
		"enable.metrics.push": false,
	}
}

// javaProducerRenames maps Java producer property names to librdkafka's
// where they differ. Names that are the same in both pass through.
var javaProducerRenames = map[string]string{
	"max.request.size":                      "message.max.bytes",
	"delivery.timeout.ms":                   "message.timeout.ms",
	"max.in.flight.requests.per.connection": "max.in.flight",
	"retries":                               "message.send.max.retries",
	"send.buffer.bytes":                     "socket.send.buffer.bytes",
	"receive.buffer.bytes":                  "socket.receive.buffer.bytes",
	"sasl.mechanism":                        "sasl.mechanisms",
}

// javaOnlyProducerKeys have no librdkafka counterpart (serializers, JVM
// plumbing, metrics reporters); they are dropped. enable.metrics.push is
// not among them: librdkafka (2.5+) has it under the same name.
var javaOnlyProducerKeys = map[string]bool{
	"key.serializer": true, "value.serializer": true, "max.block.ms": true,
	"interceptor.classes": true, "partitioner.class": true, "partitioner.ignore.keys": true,
	"partitioner.adaptive.partitioning.enable": true, "partitioner.availability.timeout.ms": true,
	"metric.reporters": true, "metrics.num.samples": true, "metrics.sample.window.ms": true,
	"metrics.recording.level": true, "auto.include.jmx.reporter": true,
	"metadata.max.idle.ms": true, "security.providers": true, "ssl.protocol": true,
	"ssl.enabled.protocols": true, "ssl.trustmanager.algorithm": true, "ssl.keymanager.algorithm": true,
	"ssl.secure.random.implementation": true, "ssl.keystore.type": true, "ssl.truststore.type": true,
	"ssl.truststore.password": true, "sasl.login.class": true, "sasl.client.callback.handler.class": true,
	"sasl.login.callback.handler.class": true, "ssl.engine.factory.class": true,
}

var jaasOption = regexp.MustCompile(`(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"`)

// applyJavaProducerProps merges Java-named producer properties into cm,
// translating them for librdkafka. source names where they came from for
// error messages (e.g. "producer.override.").
func applyJavaProducerProps(cm kafka.ConfigMap, props map[string]string, source string) error {
	handled, err := applyJavaStores(cm, props, source)
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(props) {
		v := props[k]
		if javaOnlyProducerKeys[k] || handled[k] {
			continue
		}
		switch k {
		case "buffer.memory":
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 1024 {
				return fmt.Errorf("invalid value for %sbuffer.memory: want a number of bytes of at least 1024", source)
			}
			cm["queue.buffering.max.kbytes"] = int(min(n/1024, 2147483647))
			continue
		case "sasl.jaas.config":
			// PLAIN and SCRAM logins carry username and password here.
			for _, m := range jaasOption.FindAllStringSubmatch(v, -1) {
				val := strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[2])
				switch m[1] {
				case "username":
					cm["sasl.username"] = val
				case "password":
					cm["sasl.password"] = val
				}
			}
			continue
		case "ssl.truststore.certificates":
			cm["ssl.ca.pem"] = appendPEM(cm["ssl.ca.pem"], v)
			continue
		case "ssl.endpoint.identification.algorithm":
			if strings.TrimSpace(v) == "" {
				v = "none"
			}
		case "acks":
			if v == "-1" {
				v = "all"
			}
		}
		if r, ok := javaProducerRenames[k]; ok {
			k = r
		}
		cm[k] = v
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// maxClientIDBytes is the longest client id franz-go accepts.
const maxClientIDBytes = 256

// producerClientID is Kafka Connect's client id of a source task's producer,
// connector-producer-<connector>-<task>. A connector name is unbounded but
// franz-go refuses a client id over 256 bytes (the task then failed where
// Kafka Connect runs it), so a longer id keeps the name's start and a hash
// of the whole name, which keeps ids distinct per connector.
func producerClientID(connector string, task int) string {
	id := fmt.Sprintf("connector-producer-%s-%d", connector, task)
	if len(id) <= maxClientIDBytes {
		return id
	}
	sum := sha256.Sum256([]byte(connector))
	suffix := fmt.Sprintf("~%x-%d", sum[:6], task)
	name := connector[:maxClientIDBytes-len("connector-producer-")-len(suffix)]
	for !utf8.ValidString(name) { // do not cut a character in two
		name = name[:len(name)-1]
	}
	return "connector-producer-" + name + suffix
}

// producerConfig builds a source task's producer config as Kafka Connect
// does: forced defaults, then the worker's producer.* settings, then the
// connector's producer.override.* settings allowed by the policy.
func producerConfig(w *WorkerConfig, connProps map[string]string, connector string, task int) (kafka.ConfigMap, error) {
	cm := sourceProducerDefaults(w.BootstrapServers, producerClientID(connector, task))
	applyConnectorProducerDefaults(cm, connProps)
	if err := applyJavaProducerProps(cm, w.Prefixed("producer."), "producer."); err != nil {
		return nil, err
	}
	overrides := map[string]string{}
	for k, v := range connProps {
		if strings.HasPrefix(k, ProducerOverridePrefix) {
			if msg := overridePolicyError(w.OverridePolicy, k); msg != "" {
				return nil, fmt.Errorf("%s", msg)
			}
			overrides[k[len(ProducerOverridePrefix):]] = v
		}
	}
	if err := applyJavaProducerProps(cm, overrides, ProducerOverridePrefix); err != nil {
		return nil, err
	}
	// Idempotent producers keep order with up to 5 requests in flight.
	_, userInFlight := overrides["max.in.flight.requests.per.connection"]
	if _, ok := w.Prefixed("producer.")["max.in.flight.requests.per.connection"]; ok {
		userInFlight = true
	}
	if idem, _ := cm["enable.idempotence"].(string); strings.EqualFold(idem, "true") && !userInFlight {
		cm["max.in.flight"] = 5
	}
	return cm, nil
}

// sensitiveKey reports whether a config key holds a secret that must never
// be logged.
func sensitiveKey(k string) bool {
	l := strings.ToLower(k)
	return strings.Contains(l, "password") || strings.Contains(l, "secret") || strings.Contains(l, "jaas") ||
		strings.HasSuffix(l, ".key") || strings.Contains(l, "key.pem") || strings.Contains(l, "token") ||
		strings.Contains(l, "credential") || strings.HasSuffix(l, "api.key")
}

// maskConfig returns a copy of a config safe to log.
func maskConfig(props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		if sensitiveKey(k) && v != "" {
			v = "[hidden]"
		}
		out[k] = v
	}
	return out
}

// loggableConfig masks a connector config for the log: keys whose name
// says secret, and keys the connector declares as PASSWORD.
func loggableConfig(props map[string]string) map[string]string {
	out := maskConfig(props)
	conn, _, err := connect.NewSourceConnector(props[ConnClass])
	if err != nil {
		return out
	}
	for _, k := range conn.Config().Keys() {
		if k.Type == connect.ConfigPassword && out[k.Name] != "" {
			out[k.Name] = "[hidden]"
		}
	}
	return out
}

// applyJavaStores turns Kafka's Java key and trust stores (JKS, the Java
// default, or PKCS12; internal/javastore reads them) into the PEM text both
// clients read (librdkafka's ssl.ca.pem, ssl.certificate.pem, ssl.key.pem),
// so a worker or connector config written for Java clients runs unchanged.
// A PEM store maps onto librdkafka's file locations. It returns the keys it
// consumed.
func applyJavaStores(cm kafka.ConfigMap, props map[string]string, source string) (map[string]bool, error) {
	handled := map[string]bool{}
	if loc := props["ssl.truststore.location"]; loc != "" {
		handled["ssl.truststore.location"] = true
		switch typ := strings.ToUpper(orDefault(strings.TrimSpace(props["ssl.truststore.type"]), "JKS")); typ {
		case "PEM":
			cm["ssl.ca.location"] = loc
		case "JKS", "PKCS12":
			certs, err := javastore.Trusted(loc, props["ssl.truststore.password"])
			if err != nil {
				return nil, fmt.Errorf("%sssl.truststore.location %s: %v%s", source, loc, err, passwordHint(err, source+"ssl.truststore.password"))
			}
			ders := make([][]byte, len(certs))
			for i, c := range certs {
				ders[i] = c.Raw
			}
			cm["ssl.ca.pem"] = appendPEM(cm["ssl.ca.pem"], javastore.CertsPEM(ders))
		default:
			return nil, fmt.Errorf("%sssl.truststore.type=%s: use JKS, PKCS12 or PEM", source, typ)
		}
	}
	if loc := props["ssl.keystore.location"]; loc != "" {
		handled["ssl.keystore.location"] = true
		switch typ := strings.ToUpper(orDefault(strings.TrimSpace(props["ssl.keystore.type"]), "JKS")); typ {
		case "PEM":
			// One file with the key and its chain, as Java's PEM store.
			cm["ssl.certificate.location"], cm["ssl.key.location"] = loc, loc
			handled["ssl.keystore.password"] = true
		case "JKS", "PKCS12":
			cert, err := javastore.KeyPair(loc, props["ssl.keystore.password"], props["ssl.key.password"])
			if err != nil {
				return nil, fmt.Errorf("%sssl.keystore.location %s: %v%s", source, loc, err, passwordHint(err, source+"ssl.keystore.password / "+source+"ssl.key.password"))
			}
			key, err := javastore.KeyPEM(cert.PrivateKey)
			if err != nil {
				return nil, fmt.Errorf("%sssl.keystore.location %s: %v", source, loc, err)
			}
			cm["ssl.certificate.pem"], cm["ssl.key.pem"] = javastore.CertsPEM(cert.Certificate), key
			// The PEM key is not encrypted: no password goes with it.
			handled["ssl.keystore.password"], handled["ssl.key.password"] = true, true
		default:
			return nil, fmt.Errorf("%sssl.keystore.type=%s: use JKS, PKCS12 or PEM", source, typ)
		}
	}
	return handled, nil
}

func passwordHint(err error, key string) string {
	if errors.Is(err, javastore.ErrPassword) {
		return "; is " + key + " right?"
	}
	return ""
}

// appendPEM adds PEM text to a ConfigMap value that may hold some already.
func appendPEM(cur kafka.ConfigValue, add string) string {
	if s, ok := cur.(string); ok && s != "" {
		return strings.TrimRight(s, "\n") + "\n" + add
	}
	return add
}

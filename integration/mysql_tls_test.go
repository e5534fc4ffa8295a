package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// tlsFiles are the PEM files of a test PKI: a CA, a server certificate for
// 127.0.0.1 (an IP SAN only, so a connection to "localhost" fails the
// identity check), a client certificate, and an unrelated CA.
type tlsFiles struct {
	ca, serverCert, serverKey, clientCert, clientKey, otherCA string
}

func tlsMakePKI(t *testing.T) tlsFiles {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	serial := int64(1)
	sign := func(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, der
	}
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		k := newKey()
		tmpl := &x509.Certificate{
			Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
		tmpl.SerialNumber = big.NewInt(1)
		c, der := sign(tmpl, tmpl, &k.PublicKey, k)
		return c, k, der
	}

	var f tlsFiles
	ca, caKey, caDER := newCA("sluice test CA")
	f.ca = write("ca.pem", "CERTIFICATE", caDER)
	_, _, otherDER := newCA("some other CA")
	f.otherCA = write("other-ca.pem", "CERTIFICATE", otherDER)

	sk := newKey()
	_, sDER := sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "mariadb test server"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &sk.PublicKey, caKey)
	f.serverCert = write("server-cert.pem", "CERTIFICATE", sDER)
	f.serverKey = write("server-key.pem", "PRIVATE KEY", keyDER(sk))

	ck := newKey()
	_, cDER := sign(&x509.Certificate{
		Subject:  pkix.Name{CommonName: "sluice-client"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, &ck.PublicKey, caKey)
	f.clientCert = write("client-cert.pem", "CERTIFICATE", cDER)
	f.clientKey = write("client-key.pem", "PRIVATE KEY", keyDER(ck))
	return f
}

func (f tlsFiles) serverArgs() []string {
	return []string{"--ssl-ca=" + f.ca, "--ssl-cert=" + f.serverCert, "--ssl-key=" + f.serverKey}
}

// tlsCase is one connector configuration against a server:
// either it streams a row, or Start fails with an error holding every
// wantErr fragment.
type tlsCase struct {
	name    string
	props   []string // key, value pairs over myStreamProps
	wantErr []string
}

// tlsRun starts the task and, when it should work, streams one insert into
// table tls.tbl through it; insert runs the statement on the server.
func tlsRun(t *testing.T, m *harness.MariaDB, c tlsCase, serverID int, tbl string, insert func(string)) {
	t.Helper()
	props := myStreamProps(m, append([]string{"database.server.id", fmt.Sprint(serverID), "table.include.list", `tls\.` + tbl}, c.props...)...)
	if len(c.wantErr) > 0 {
		task := mysql.NewTask()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err := task.Start(ctx, &myTaskContext{props: props, offsets: &myOffsets{}}, props)
		if err == nil {
			_ = task.Stop()
			t.Fatalf("Start succeeded, want an error containing %q", c.wantErr)
		}
		for _, w := range c.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
		for k, v := range props {
			if strings.HasSuffix(k, "password") && v != "" && strings.Contains(err.Error(), v) {
				t.Errorf("error shows %s: %v", k, err)
			}
		}
		return
	}
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	insert(fmt.Sprintf("INSERT INTO tls.%s VALUES (%d, '%s')", tbl, serverID, c.name))
	// The row can only arrive through the binlog connection, which logs in
	// as the same account: for a REQUIRE SSL/X509 account or a server with
	// require_secure_transport that proves it used TLS too.
	recs := myPollN(t, task, offsets, 1)
	if len(recs) != 1 || recs[0].Topic != "srv.tls."+tbl {
		t.Fatalf("want one record on srv.tls.%s, got %s", tbl, myDescribe(recs))
	}
	op, _, after := myEnvelope(t, recs[0])
	if op != "c" || after == nil || fmt.Sprint(after.Get("id")) != fmt.Sprint(serverID) || after.Get("v") != c.name {
		t.Fatalf("want an insert of (%d, %q), got op %q after %v", serverID, c.name, op, after)
	}
}

func TestMySQLTLS(t *testing.T) {
	t.Parallel()
	pki := tlsMakePKI(t)

	t.Run("tls_server", func(t *testing.T) {
		t.Parallel()
		m := harness.MariaDBForTest(t, harness.MariaDBOptions{ExtraArgs: pki.serverArgs()})
		ctx := context.Background()
		myExec(t, m, "CREATE DATABASE tls")
		privs := strings.Join(harness.DefaultUserPrivileges, ", ")
		for _, u := range []struct{ name, require string }{{"tls_ssl", "SSL"}, {"tls_x509", "X509"}} {
			myExec(t, m,
				fmt.Sprintf("CREATE USER %s@'%%' IDENTIFIED BY 'pw-%s' REQUIRE %s", u.name, u.name, u.require),
				fmt.Sprintf("GRANT %s ON *.* TO %s@'%%'", privs, u.name))
		}
		if v, err := m.Variable(ctx, "have_ssl"); err != nil || v != "YES" {
			t.Fatalf("the server did not enable TLS: have_ssl=%q %v", v, err)
		}
		sslUser := []string{"database.user", "tls_ssl", "database.password", "pw-tls_ssl"}
		x509User := []string{"database.user", "tls_x509", "database.password", "pw-tls_x509"}
		with := func(base []string, kv ...string) []string { return append(append([]string{}, base...), kv...) }
		stores := tlsMakeStores(t, pki)
		cases := []tlsCase{
			{name: "required", props: with(sslUser, "database.ssl.mode", "required")},
			{name: "preferred", props: with(sslUser, "database.ssl.mode", "preferred")},
			{name: "verify_ca", props: with(sslUser, "database.ssl.mode", "verify_ca", "database.ssl.ca", pki.ca)},
			// verify_ca checks the chain only, so a name the certificate
			// does not hold is fine; verify_identity refuses it below.
			{name: "verify_ca_localhost", props: with(sslUser, "database.ssl.mode", "verify_ca", "database.ssl.ca", pki.ca, "database.hostname", "localhost")},
			{name: "verify_identity", props: with(sslUser, "database.ssl.mode", "verify_identity", "database.ssl.ca", pki.ca)},
			{name: "x509", props: with(x509User, "database.ssl.mode", "verify_identity", "database.ssl.ca", pki.ca,
				"database.ssl.cert", pki.clientCert, "database.ssl.key", pki.clientKey)},

			{name: "verify_ca_wrong_ca", props: with(sslUser, "database.ssl.mode", "verify_ca", "database.ssl.ca", pki.otherCA),
				wantErr: []string{"database.ssl.ca", "verify_ca", "unknown authority"}},
			{name: "verify_identity_wrong_name", props: with(sslUser, "database.ssl.mode", "verify_identity", "database.ssl.ca", pki.ca, "database.hostname", "localhost"),
				wantErr: []string{"verify_identity", "database.hostname", "localhost"}},
			{name: "disabled", props: with(sslUser, "database.ssl.mode", "disabled"),
				wantErr: []string{"database.ssl.mode=disabled", "database.ssl.mode=required"}},
			{name: "x509_without_cert", props: with(x509User, "database.ssl.mode", "required"),
				wantErr: []string{"database.ssl.cert", "database.ssl.key"}},
			{name: "x509_pkcs12_stores", props: with(x509User, "database.ssl.mode", "verify_identity",
				"database.ssl.keystore", stores.P12Key, "database.ssl.keystore.password", storePassword,
				"database.ssl.truststore", stores.P12Trust, "database.ssl.truststore.password", storePassword)},
			{name: "x509_jks_stores", props: with(x509User, "database.ssl.mode", "verify_identity",
				"database.ssl.keystore", stores.JKSKey, "database.ssl.keystore.password", storePassword,
				"database.ssl.truststore", stores.JKSTrust, "database.ssl.truststore.password", storePassword)},
			{name: "keystore_wrong_password", props: with(x509User, "database.ssl.mode", "required",
				"database.ssl.keystore", stores.P12Key, "database.ssl.keystore.password", "not-the-store-pw"),
				wantErr: []string{"database.ssl.keystore", "database.ssl.keystore.password"}},
			{name: "jks_keystore_wrong_password", props: with(x509User, "database.ssl.mode", "required",
				"database.ssl.keystore", stores.JKSKey, "database.ssl.keystore.password", "not-the-store-pw"),
				wantErr: []string{"database.ssl.keystore", "database.ssl.keystore.password"}},
			{name: "ca_file_missing", props: with(sslUser, "database.ssl.mode", "verify_ca", "database.ssl.ca", pki.ca+".missing"),
				wantErr: []string{"database.ssl.ca", "cannot read"}},
		}
		for i, c := range cases {
			if len(c.wantErr) == 0 {
				myExec(t, m, fmt.Sprintf("CREATE TABLE tls.t%d (id INT PRIMARY KEY, v VARCHAR(40))", i))
			}
		}
		// A group, so that all its parallel cases end before
		// require_secure_transport changes the server under them.
		t.Run("modes", func(t *testing.T) {
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					tlsRun(t, m, c, 6100+i, fmt.Sprintf("t%d", i), func(q string) { myExec(t, m, q) })
				})
			}
		})

		t.Run("require_secure_transport", func(t *testing.T) {
			// The harness's root pool is plain TCP, which the server
			// refuses from now on; the socket counts as secure.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			root, err := client.ConnectWithContext(ctx, m.Socket(), "root", harness.RootPassword, "", 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Quit()
			exec := func(q string) {
				t.Helper()
				if _, err := root.Execute(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("SET GLOBAL require_secure_transport = ON")
			exec("CREATE TABLE tls.rst (id INT PRIMARY KEY, v VARCHAR(40))")
			// The default account has no REQUIRE clause: only the server
			// setting refuses its plain logins.
			for i, c := range []tlsCase{
				{name: "disabled", props: []string{"database.ssl.mode", "disabled"},
					wantErr: []string{"database.ssl.mode=disabled", "database.ssl.mode=required"}},
				{name: "required", props: []string{"database.ssl.mode", "required"}},
				{name: "verify_identity", props: []string{"database.ssl.mode", "verify_identity", "database.ssl.ca", pki.ca}},
			} {
				t.Run(c.name, func(t *testing.T) { tlsRun(t, m, c, 6200+i, "rst", exec) })
			}
		})
	})

	t.Run("server_without_tls", func(t *testing.T) {
		t.Parallel()
		m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
		myExec(t, m, "CREATE DATABASE tls", "CREATE TABLE tls.plain (id INT PRIMARY KEY, v VARCHAR(40))")
		exec := func(q string) { myExec(t, m, q) }
		// preferred falls back to plain, for the binlog connection too.
		tlsRun(t, m, tlsCase{name: "preferred", props: []string{"database.ssl.mode", "preferred"}}, 6301, "plain", exec)
		tlsRun(t, m, tlsCase{name: "required", props: []string{"database.ssl.mode", "required"},
			wantErr: []string{"does not offer TLS", "database.ssl.mode=required", "database.ssl.mode=preferred"}}, 6302, "plain", exec)
	})

}

const storePassword = "store-pw-1234"

// tlsMakeStores writes the PKI's client key and CA as Java stores,
// PKCS#12 and JKS, all under storePassword.
func tlsMakeStores(t *testing.T, pki tlsFiles) harness.JavaStores {
	t.Helper()
	readPEM := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s: no PEM block", path)
		}
		return blk.Bytes
	}
	ca, err := x509.ParseCertificate(readPEM(pki.ca))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(readPEM(pki.clientCert))
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(readPEM(pki.clientKey))
	if err != nil {
		t.Fatal(err)
	}
	s, err := harness.WriteJavaStores(t.TempDir(), key, cert, ca, storePassword, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

package mysql

import (
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// TestAccessDeniedNamesUnresolvedVariable: when the server refuses the
// login and database.password is still a ${provider:...} variable, the
// message says so; it never quotes the value, and says nothing of
// variables when the password is an ordinary one.
func TestAccessDeniedNamesUnresolvedVariable(t *testing.T) {
	denied := &gomysql.MyError{Code: gomysql.ER_ACCESS_DENIED_ERROR, Message: "Access denied for user 'sluice'@'localhost' (using password: YES)"}
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"${env:EXB_PW}", true},
		{"pre-${file:/etc/s.properties:pw}", true},
		{"plain-s3cret", false},
		{"dollar${notavariable}", false},
	} {
		opts, err := ParseOptions(map[string]string{
			"name": "envp", KeyHostname: "127.0.0.1", KeyUser: "sluice", KeyPassword: tc.password,
			KeyServerID: "5601", KeyTopicPrefix: "envp",
		})
		if err != nil {
			t.Fatal(err)
		}
		d, err := newDialer(opts)
		if err != nil {
			t.Fatal(err)
		}
		msg := d.explain(denied).Error()
		if got := strings.Contains(msg, KeyPassword+" still contains an unresolved config variable"); got != tc.want {
			t.Errorf("password %q: note present = %v, want %v: %s", tc.password, got, tc.want, msg)
		}
		if strings.Contains(msg, tc.password) {
			t.Errorf("password %q is quoted in %q", tc.password, msg)
		}
		if !strings.HasPrefix(msg, denied.Message) {
			t.Errorf("message %q lost the server's answer", msg)
		}
	}
}

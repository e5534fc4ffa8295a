package rest

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// BasicAuth checks HTTP basic credentials against a fixed set of users. It
// plays the part of Kafka Connect's BasicAuthSecurityRestExtension: every
// request needs valid credentials, and a failure answers 401 in the usual
// error shape.
type BasicAuth struct {
	// Realm is sent in WWW-Authenticate; "" means "sluice".
	Realm string
	// users maps a user name to the SHA-256 of its password, so that
	// comparisons take the same time whatever the lengths.
	users map[string][sha256.Size]byte
}

// NewBasicAuth returns a checker for the given user → password pairs.
func NewBasicAuth(users map[string]string) (*BasicAuth, error) {
	if len(users) == 0 {
		return nil, fmt.Errorf("basic auth needs at least one user")
	}
	b := &BasicAuth{users: make(map[string][sha256.Size]byte, len(users))}
	for u, p := range users {
		if u == "" || strings.ContainsRune(u, ':') {
			return nil, fmt.Errorf("basic auth user name %q is invalid: it must be non-empty and contain no ':'", u)
		}
		b.users[u] = sha256.Sum256([]byte(p))
	}
	return b, nil
}

// LoadBasicAuthFile reads users from a file with one "user:password" (or, as
// in Kafka's JAAS property files, "user=password") per line. Blank lines and
// lines starting with '#' or '!' are ignored; the password is everything after
// the first separator, so it may itself contain ':' or '='.
func LoadBasicAuthFile(path string) (*BasicAuth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rest.basic.auth.file: %w", err)
	}
	defer f.Close()
	users := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' || s[0] == '!' {
			continue
		}
		i := strings.IndexAny(s, ":=")
		if i <= 0 {
			return nil, fmt.Errorf("rest.basic.auth.file %s line %d: expected user:password", path, line)
		}
		users[strings.TrimSpace(s[:i])] = strings.TrimSpace(s[i+1:])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("rest.basic.auth.file %s: %w", path, err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("rest.basic.auth.file %s lists no users", path)
	}
	return NewBasicAuth(users)
}

func (b *BasicAuth) check(user, pass string) bool {
	want, ok := b.users[user]
	got := sha256.Sum256([]byte(pass))
	// Compare even for unknown users so timing does not reveal which exist.
	eq := subtle.ConstantTimeCompare(want[:], got[:]) == 1
	return ok && eq
}

func (b *BasicAuth) wrap(next http.Handler) http.Handler {
	realm := b.Realm
	if realm == "" {
		realm = "sluice"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isInternalRequest(r) {
			// Workers send these to each other without user
			// credentials; the handler checks their session-key
			// signature instead.
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || !b.check(user, pass) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", realm))
			writeError(w, http.StatusUnauthorized, "User cannot access the resource.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isInternalRequest reports a worker-to-worker request: POST
// /connectors/{c}/tasks (a follower handing the leader its connector's task
// configs) or PUT /connectors/{c}/fence (a zombie-fencing round). Kafka
// Connect's basic-auth filter lets exactly these through unauthenticated
// (JaasBasicAuthFilter's internal request matchers), since a worker holds no
// user's credentials and the session key signs them; requiring credentials
// left every connector run by a follower without tasks. The path is matched
// escaped, so a connector name with an encoded '/' is still one segment.
func isInternalRequest(r *http.Request) bool {
	var last string
	switch r.Method {
	case http.MethodPost:
		last = "tasks"
	case http.MethodPut:
		last = "fence"
	default:
		return false
	}
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	return len(segs) == 3 && segs[0] == "connectors" && segs[1] != "" && segs[2] == last
}

package load

import "testing"

// TestSameURL (issue 13 item 20): the allow-list compared strings, so a trailing slash was refused.
func TestSameURL(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", true},
		{"http://127.0.0.1:8080/api/", "http://127.0.0.1:8080/api", true},
		{"HTTP://LOCALHOST/x", "http://localhost:80/x", true},
		{"https://h:443/", "https://h", true},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b", false},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8081/", false},
		{"http://h/?q=1", "http://h/?q=2", false},
	} {
		if got := SameURL(c.a, c.b); got != c.same {
			t.Errorf("SameURL(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

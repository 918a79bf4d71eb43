package load

import (
	"net/url"
	"strings"
)

// SameURL compares two target URLs as a server sees them: scheme and host in any case, the default
// port written or not, a trailing slash or not. The allow-list of load targets compares with it.
func SameURL(a, b string) bool { return normalURL(a) == normalURL(b) }

func normalURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if port := u.Port(); port == "80" && u.Scheme == "http" || port == "443" && u.Scheme == "https" {
		u.Host = u.Hostname()
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.Fragment = "", ""
	return u.String()
}

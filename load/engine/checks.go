package engine

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/tidwall/gjson"
)

// Check is what a response must be: a function check, not only "it answers". A response that
// fails one is failed and counted as a failed check (Result.Checks), apart from status codes.
type Check struct {
	Status       []int         `json:"status,omitempty"` // allowed codes (default: 2xx and 3xx)
	BodyContains string        `json:"bodyContains,omitempty"`
	JSONPath     string        `json:"jsonPath,omitempty"` // gjson syntax: data.items.#, status
	Equals       string        `json:"equals,omitempty"`   // what JSONPath must give
	MaxLatency   time.Duration `json:"maxLatency,omitempty"`
}

// Failed names the first check a response fails ("" when it passes); lat is from the intended send.
func (c *Check) Failed(code int, body []byte, lat time.Duration) string {
	if len(c.Status) > 0 && !slices.Contains(c.Status, code) {
		return fmt.Sprintf("status %d not in %v", code, c.Status)
	}
	if c.BodyContains != "" && !bytes.Contains(body, []byte(c.BodyContains)) {
		return fmt.Sprintf("body lacks %q", c.BodyContains)
	}
	if c.JSONPath != "" {
		if got := gjson.GetBytes(body, c.JSONPath); !got.Exists() || got.String() != c.Equals {
			return fmt.Sprintf("%s != %q", c.JSONPath, c.Equals)
		}
	}
	if c.MaxLatency > 0 && lat > c.MaxLatency {
		return fmt.Sprintf("slower than %s", c.MaxLatency)
	}
	return ""
}

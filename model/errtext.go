package model

import "errors"

// ErrText is err as the text an event carries ("" for nil): events cross the bus and recordings as
// JSON, where an error value would not survive.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ErrRefused wraps every refusal (the guard, the load engine's allow-list and cap) so callers can
// tell "the rules said no" from "the API failed".
var ErrRefused = errors.New("refused")

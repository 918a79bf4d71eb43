package model

// ErrText is err as the text an event carries ("" for nil): events cross the bus and recordings as
// JSON, where an error value would not survive.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

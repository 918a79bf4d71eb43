package actions

import (
	"fmt"
	"strconv"
	"strings"
)

// The parameters of actions, parsed the same way from a key prompt, a `:` command or a scenario step.
// ParseCount (kill) is in actions.go, load.ParseProfile (load) in the load package.

// ParseScale reads a scale argument: +N or -N changes the replicas by N, N sets them; the result is
// the change from desired.
func ParseScale(arg string, desired int32) (int32, error) {
	arg = strings.TrimSpace(arg)
	n, err := strconv.Atoi(strings.TrimPrefix(arg, "+"))
	if err != nil || arg == "" {
		return 0, fmt.Errorf("%q: want +N, -N or a replica count", arg)
	}
	if arg[0] == '+' || arg[0] == '-' {
		return int32(n), nil
	}
	if n < 0 {
		return 0, fmt.Errorf("%d: a replica count is 0 or more", n)
	}
	return int32(n) - desired, nil
}

// ParseRateStep reads a change of the running load's rate: +N or -N requests/s.
func ParseRateStep(arg string) (float64, error) {
	arg = strings.TrimSpace(arg)
	v, err := strconv.ParseFloat(arg, 64)
	if err != nil || arg == "" || (arg[0] != '+' && arg[0] != '-') {
		return 0, fmt.Errorf("%q: want +N or -N requests/s", arg)
	}
	return v, nil
}

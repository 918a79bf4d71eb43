//go:build race

package tui

// raceEnabled loosens timing budgets: the race detector slows code 5-10x.
const raceEnabled = true

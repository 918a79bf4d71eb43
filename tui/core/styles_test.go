package core

import "github.com/gamedaylab/gameday/themes"

func testStyles() *themes.Styles {
	st, _ := themes.Resolve("dark", false)
	return st
}

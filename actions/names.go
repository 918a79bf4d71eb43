package actions

// Name is an action's name as the journal records it: what a catalog Spec is called, what an Entry
// did. Every name is declared here once; other packages compare with these, never with strings.
type Name string

// The actions people and the monkey take.
const (
	Kill        Name = "kill"
	Scale       Name = "scale"
	Restart     Name = "restart"
	Cordon      Name = "cordon"
	Uncordon    Name = "uncordon"
	Drain       Name = "drain"
	InjectFault Name = "fault"
	Unfault     Name = "unfault"
	Monkey      Name = "monkey"
	MonkeyKill  Name = "monkey-kill"
	LoadStart   Name = "load-start"
	LoadRate    Name = "load-rate"
	LoadStop    Name = "load-stop"
	LoadJob     Name = "load-job"
	Halt        Name = "halt"
	Note        Name = "note"
)

// The events no key starts: journaled when something ends or is measured.
const (
	DrainDone    Name = "drain-done"
	FaultExpired Name = "fault-expired"
	Recovery     Name = "recovery"
	LoadFinished Name = "load-finished"
	Cleanup      Name = "cleanup"
)

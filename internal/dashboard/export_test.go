package dashboard

// UseTestHashing makes password hashing cheap for the rest of the test
// binary: argon2 at 19 MiB costs seconds per login under the race
// detector. TestPasswordHash checks the production parameters.
func UseTestHashing() { argon = argonParams{time: 1, memory: 64, threads: 1} }

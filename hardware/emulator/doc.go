// Package emulator holds software stand-ins for Talon's serial devices, each
// on its own pseudo-terminal (see pseudoterm): a barcode scanner, a line of
// window LED boards and a line of operator call-button pads. Drivers open
// Path() with the same code they use on real hardware, so tests and the demo
// exercise the real transport. Every emulator can be unplugged and plugged
// back through Pair().
package emulator

/** `halab doctor` and the Doctor panel: host checks, one line each. */
export { doctorExitCode, runDoctor, type DoctorOptions } from './doctor';
export { probeTemplate, type ProbeOptions } from './template-probe';

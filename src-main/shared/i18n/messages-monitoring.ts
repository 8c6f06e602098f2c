/**
 * Catalog domain: Grafana, Loki and promtail from Grafana's repository
 * (issue 14 item 8; `grafana-install.ts`, `grafana-steps.ts`).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const monitoringEn = {
  'mon.step.grafana': '{packages} on {vm}',
  'mon.log.installed': '{vm}: {packages} already installed from Grafana’s repository.',
  'mon.log.offline': '{vm} cannot reach {host} ({reason}): {packages} not installed and no port opened for them. Logs stay in the VM’s journal and /var/log. Give the VM internet (VMware NAT) and run `up` again to add them.',
  'mon.log.installing': '{vm}: installing {packages} from Grafana’s repository ({host}).',
  'mon.log.noDirectPath': 'promtail is not installed on {vms}: they share no network with Loki’s VM {loki}, and the zone policy names no log traffic.',
  'mon.log.running': '{vm}: {services} answer.',
  'mon.log.portsOpened': '{vm}: {count} firewall rules open Grafana or Loki (3100) to those who use them: the admin sources, the lab’s VMs.',
  'mon.err.installFailed': 'Installing {packages} on {vm} from Grafana’s repository failed: {error}',
  'mon.err.installFailed.fix': 'Check the VM’s internet access (`apt-get update` on {vm}), then run `up` again: it resumes here.',
  'mon.err.notAnswering': '{service} on {vm} did not answer {url} within {seconds} s: {error}',
  'mon.err.notAnswering.fix': 'Look at `journalctl -u {unit}` on {vm}; fix the cause and run `up` again.',
  'mon.plan.grafana': 'Grafana (on {grafana}, port {port} for the admin sources) with the Prometheus and Loki data sources and the lab dashboard; Loki (on {loki}, port 3100 for the lab’s VMs); promtail on every VM that shares a network with {loki}. Installed from Grafana’s repository only on VMware guests that reach it; the Linux lab and Incus guests are offline by design, so there they are not installed and no port is opened for them.',
} as const;

export const monitoringKo: Record<keyof typeof monitoringEn, string> = {
  'mon.step.grafana': '{vm}에 {packages} 설치',
  'mon.log.installed': '{vm}: {packages}이(가) Grafana 저장소에서 이미 설치되어 있습니다.',
  'mon.log.offline': '{vm}에서 {host}에 연결할 수 없습니다({reason}). {packages}을(를) 설치하지 않았고, 이를 위한 포트도 열지 않았습니다. 로그는 VM의 저널과 /var/log에 남습니다. VM에 인터넷(VMware NAT)을 연결한 뒤 `up`을 다시 실행하면 추가됩니다.',
  'mon.log.installing': '{vm}: Grafana 저장소({host})에서 {packages}을(를) 설치합니다.',
  'mon.log.noDirectPath': '{vms}에는 promtail을 설치하지 않습니다. Loki VM {loki}과(와) 같은 네트워크가 없고, 존 정책에 로그 전송 규칙이 없기 때문입니다.',
  'mon.log.running': '{vm}: {services}이(가) 응답합니다.',
  'mon.log.portsOpened': '{vm}: 방화벽 규칙 {count}개로 Grafana 또는 Loki(3100)를 사용하는 쪽(관리자 주소, 랩 VM들)에만 열었습니다.',
  'mon.err.installFailed': '{vm}에서 Grafana 저장소의 {packages} 설치에 실패했습니다: {error}',
  'mon.err.installFailed.fix': 'VM의 인터넷 연결을 확인하고({vm}에서 `apt-get update`), `up`을 다시 실행하세요. 이 단계부터 이어서 진행합니다.',
  'mon.err.notAnswering': '{vm}의 {service}이(가) {seconds}초 안에 {url}에 응답하지 않았습니다: {error}',
  'mon.err.notAnswering.fix': '{vm}에서 `journalctl -u {unit}`을 확인하고 원인을 고친 뒤 `up`을 다시 실행하세요.',
  'mon.plan.grafana': 'Grafana({grafana}, 포트 {port}은(는) 관리자 주소에만): Prometheus와 Loki 데이터 소스, 랩 대시보드 포함. Loki({loki}, 포트 3100은 랩 VM들에만). promtail은 {loki}와(과) 네트워크를 공유하는 모든 VM에 설치. Grafana 저장소에 연결되는 VMware 게스트에만 설치하며, Linux 랩과 Incus 게스트는 설계상 오프라인이므로 설치하지 않고 포트도 열지 않습니다.',
};

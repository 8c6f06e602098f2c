/** 시작 화면과 구성도 그림 내보내기의 한국어 문자열; `ko.ts`의 일부. */
import type { enReport } from './en-report';

export const koReport: Record<keyof typeof enReport, string> = {
  'picture.menu': '그림',
  'picture.exportSvg': '그림 (SVG)',
  'picture.exportPng': '그림 (PNG)',
  'picture.exportTitle': '보고서에 넣을 구성도를 그림으로 저장',
  'picture.exported': '{name}을(를) 저장했습니다.',
  'picture.invalid': '그림은 오류 없는 설계도로 그립니다. 먼저 문제 패널의 오류를 고치세요.',
  'picture.failed': '그림을 만들지 못했습니다: {reason}',
  'start.title': '실습 시작하기',
  'start.lead': '준비된 실습을 고르거나, 설계도 파일을 열거나, 빈 캔버스에서 시작하세요.',
  'start.seed': '3계층 HA 실습으로 시작',
  'start.seedHint': 'VIP를 공유하는 로드밸런서 2대, 앱 서버 2대, MySQL 주 서버와 복제 서버: 과제의 실습입니다.',
  'start.shipped': '다른 준비된 실습',
  'start.open': '파일 열기…',
  'start.openHint': '전에 저장한 설계도 (.yaml 또는 .json).',
  'start.empty': '빈 실습 새로 만들기',
  'start.emptyHint': '팔레트에서 네트워크와 VM을 그립니다.',
  'start.more': '새 실습 선택지 모두 보기…',
  'start.recent': '최근 파일',
  'start.recentEmpty': '아직 최근 파일이 없습니다.',
  'start.loading': '준비된 실습을 불러오는 중…',
  'start.noShipped': '준비된 실습 목록을 가져오지 못했습니다: {reason}',
  'start.lab.vmware-3tier-ha': 'VMware 3계층 HA 실습 (배관 예약 서비스)',
  'start.lab.k8s-ha-platform': '쿠버네티스 HA 플랫폼 (VM 계층)',
  'start.lab.lb-pair-minimal': '로드밸런서 쌍 (최소 구성)',
};

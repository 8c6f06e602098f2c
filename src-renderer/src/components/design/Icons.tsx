/**
 * Small line icons for roles, networks and VIPs (inline SVG, no assets).
 */
import type { Role } from '../../../../src-main/shared/blueprint/schema';

const PATHS: Record<Role | 'nat' | 'hostonly' | 'custom' | 'bridged' | 'vip' | 'undo' | 'redo' | 'copy' | 'paste' | 'trash' | 'fit' | 'layout', string> = {
  loadbalancer: 'M12 3v5M12 8l-6 6M12 8l6 6M6 14v4M18 14v4M4 18h4M16 18h4M9 3h6',
  app: 'M4 5h16v12H4zM4 9h16M8 21h8M12 17v4M7 7h.01M9.5 7h.01',
  database: 'M5 6c0-1.7 3.1-3 7-3s7 1.3 7 3-3.1 3-7 3-7-1.3-7-3zM5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6M5 12c0 1.7 3.1 3 7 3s7-1.3 7-3',
  monitoring: 'M3 4v16h18M7 15l4-5 3 3 5-7',
  cache: 'M13 2L4 14h7l-1 8 9-12h-7z',
  firewall: 'M3 5h18v14H3zM3 9.7h18M3 14.3h18M9 5v4.7M15 9.7v4.6M9 14.3V19',
  bastion: 'M12 3l8 3v6c0 4.5-3.4 8.2-8 9-4.6-.8-8-4.5-8-9V6zM9.5 12l2 2 3.5-4',
  nfs: 'M3 7a2 2 0 012-2h4l2 2h8a2 2 0 012 2v8a2 2 0 01-2 2H5a2 2 0 01-2-2zM8 13h8',
  generic: 'M4 4h16v6H4zM4 14h16v6H4zM7 7h.01M7 17h.01',
  'k8s-control': 'M12 2l8.5 5v10L12 22l-8.5-5V7zM12 8v8M8.5 10l7 4M15.5 10l-7 4',
  'k8s-worker': 'M12 2l8.5 5v10L12 22l-8.5-5V7zM12 12h.01',
  nat: 'M3 12h18M12 3a14 14 0 010 18M12 3a14 14 0 000 18M3.5 8h17M3.5 16h17',
  hostonly: 'M4 5h16v10H4zM2 19h20M12 15v4',
  custom: 'M5 12h14M5 12a2 2 0 11-4 0 2 2 0 014 0zM23 12a2 2 0 11-4 0 2 2 0 014 0zM12 5v14M14 5a2 2 0 11-4 0 2 2 0 014 0zM14 19a2 2 0 11-4 0 2 2 0 014 0z',
  bridged: 'M3 17c3-6 15-6 18 0M6 13v4M18 13v4M12 11v6',
  undo: 'M9 14L4 9l5-5M4 9h10a6 6 0 010 12h-3',
  redo: 'M15 14l5-5-5-5M20 9H10a6 6 0 000 12h3',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  paste: 'M9 4h6v3H9zM7 5H5v16h14V5h-2M9 12h6M9 16h4',
  trash: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
  fit: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5M9 9h6v6H9z',
  layout: 'M3 3h7v7H3zM14 3h7v7h-7zM3 14h7v7H3zM14 14h7v7h-7z',
  vip: 'M12 2v4M12 18v4M4.9 4.9l2.8 2.8M16.3 16.3l2.8 2.8M2 12h4M18 12h4M4.9 19.1l2.8-2.8M16.3 7.7l2.8-2.8M12 8a4 4 0 110 8 4 4 0 010-8z',
};

export type IconName = keyof typeof PATHS;

/** An icon by name. */
export function Icon({ name, size = 18 }: { name: IconName; size?: number }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={PATHS[name]} />
    </svg>
  );
}

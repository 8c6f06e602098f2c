/**
 * One check line (settings, doctor, preflight) as the screens show it: an
 * ok/warning/error icon, the title and detail, and what to do.
 */
import { checkLineText } from '../../../../src-main/shared/i18n/check-line';
import type { CheckLine } from '../../../../src-main/shared/ipc/contract';
import { useT } from '../../i18n/useT';
import { useApp } from '../../stores/app-store';

export function LevelIcon({ level }: { level: CheckLine['level'] }) {
  const t = useT();
  const glyph = level === 'ok' ? '✓' : level === 'warning' ? '!' : '✕';
  return (
    <span className={`level-icon level-${level}`} role="img" aria-label={t(`settings.level.${level}`)}>
      {glyph}
    </span>
  );
}

/** A check line; `compact` leaves out the title (beside a field whose label says it). */
export function CheckNote({ line, testId, compact }: { line: CheckLine; testId?: string; compact?: boolean }) {
  const t = useT();
  // The backend's catalog messages in the UI's language (English only for lines not yet in the catalog).
  const w = checkLineText(line, useApp((s) => s.language));
  return (
    <div className={`check-note check-note-${line.level}`} data-testid={testId} data-level={line.level}>
      <LevelIcon level={line.level} />
      <div className="check-note-text">
        {!compact && <b>{w.title} </b>}
        <span>{compact && line.level === 'ok' ? w.detail || w.title : w.detail}</span>
        {w.fix && line.level !== 'ok' && <div className="check-note-fix">{t('problems.fix', { fix: w.fix })}</div>}
      </div>
    </div>
  );
}

/**
 * A backend error shown in place. `not-available` gets its own wording (the
 * feature is not in this backend yet); `invalid-setting` already says what
 * was not saved and why, so it is shown as it is.
 */
export function FailureNote({ failure, textKey, testId }: { failure: { message: string; code?: string }; textKey: 'settings.checkFailed' | 'settings.loadFailed' | 'settings.saveRefused' | 'settings.pickFailed' | 'doctor.failed' | 'template.startFailed' | 'provision.preflight.failed'; testId?: string }) {
  const t = useT();
  const notAvailable = failure.code === 'not-available';
  return (
    <div className={`check-note check-note-${notAvailable ? 'warning' : 'error'}`} data-testid={testId} data-code={failure.code} role="alert">
      <LevelIcon level={notAvailable ? 'warning' : 'error'} />
      <div className="check-note-text">
        {notAvailable ? t('settings.notAvailable', { reason: failure.message }) : failure.code === 'invalid-setting' ? failure.message : t(textKey, { reason: failure.message })}
      </div>
    </div>
  );
}

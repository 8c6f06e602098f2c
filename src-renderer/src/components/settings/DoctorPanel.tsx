/**
 * The Doctor panel: `halab doctor` in the window. Provider choice, a quick
 * run and a full one (boots a throwaway clone of each template), one row
 * per line with its icon, detail and fix.
 */
import { useT } from '../../i18n/useT';
import { useEditor } from '../../stores/editor-store';
import { currentLab } from '../../stores/lab-store';
import { useSettings } from '../../stores/settings-store';
import { CheckNote, FailureNote } from './CheckNote';

export function DoctorPanel() {
  const t = useT();
  const doctor = useSettings((s) => s.doctor);
  const labName = useEditor((s) => (s.data.nodes.length ? s.validation.resolved?.name : undefined));
  const st = useSettings.getState();
  const run = (quick: boolean) => void st.runDoctor(quick, doctor.withLab && labName ? currentLab()?.text : undefined);
  const report = doctor.report;
  const counts = report ? { errors: report.lines.filter((l) => l.level === 'error').length, warnings: report.lines.filter((l) => l.level === 'warning').length } : undefined;
  return (
    <section className="panel doctor" data-testid="doctor">
      <div className="panel-head">
        <h3>{t('doctor.title')}</h3>
      </div>
      <p className="muted small-text">{t('doctor.intro')}</p>
      <div className="segmented" role="radiogroup" aria-label={t('doctor.provider')}>
        {(['vmware', 'linux'] as const).map((p) => (
          <button key={p} type="button" role="radio" aria-checked={doctor.provider === p} className={doctor.provider === p ? 'on' : undefined} data-testid={`doctor-provider-${p}`} disabled={!!doctor.running} onClick={() => st.setDoctor({ provider: p })}>
            {t(`provider.${p}`)}
          </button>
        ))}
      </div>
      {labName ? (
        <label className="field-check doctor-lab">
          <input type="checkbox" data-testid="doctor-with-lab" checked={doctor.withLab} onChange={(e) => st.setDoctor({ withLab: e.target.checked })} />
          <span>{t('doctor.withLab', { lab: labName })}</span>
        </label>
      ) : (
        <p className="muted small-text">{t('doctor.noLab')}</p>
      )}
      <div className="row-actions">
        <button type="button" className="primary" data-testid="doctor-quick" disabled={!!doctor.running} onClick={() => run(true)}>
          {t('doctor.quick')}
        </button>
        <button type="button" data-testid="doctor-full" disabled={!!doctor.running} onClick={() => run(false)}>
          {t('doctor.full')}
        </button>
      </div>
      <p className="muted small-text">{t('doctor.fullHint')}</p>
      {doctor.running && (
        <div className="result result-running" data-testid="doctor-running">
          <span className="spinner" aria-hidden="true" />
          <div>{doctor.running === 'full' ? t('doctor.runningFull') : t('doctor.running')}</div>
        </div>
      )}
      {doctor.error && <FailureNote failure={doctor.error} textKey="doctor.failed" testId="doctor-error" />}
      {report && counts && !doctor.running && (
        <div data-testid="doctor-report" data-ok={report.ok ? 'yes' : 'no'}>
          <p className={`doctor-summary ${report.ok ? 'ok' : counts.errors ? 'bad' : 'warn'}`} data-testid="doctor-summary">
            {report.ok ? t('doctor.allOk', { count: report.lines.length, provider: t(`provider.${report.provider}`) }) : t('doctor.notOk', { errors: counts.errors, warnings: counts.warnings, provider: t(`provider.${report.provider}`) })}
          </p>
          <div className="doctor-lines">
            {report.lines.map((l) => (
              <CheckNote key={l.id} line={l} testId={`doctor-line-${l.id}`} />
            ))}
          </div>
        </div>
      )}
      {!report && !doctor.running && !doctor.error && <p className="muted small-text">{t('doctor.never')}</p>}
      <p className="muted small-text mono">{t('doctor.cli', { provider: doctor.provider })}</p>
    </section>
  );
}

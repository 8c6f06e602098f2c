/**
 * Settings: the host values a lab needs on this computer — vmrun (found
 * automatically, shown with its version, with an override), one template
 * per OS name, the SSH user, the labs folder and VMware's config folder —
 * each checked as it is typed; the Doctor panel; a template in one step.
 * The same settings file serves the CLI.
 */
import { useEffect, useId, useMemo, type ReactNode } from 'react';
import type { CheckLine } from '../../../../src-main/shared/ipc/contract';
import type { MessageKey } from '../../i18n';
import { useT } from '../../i18n/useT';
import { isDirty, lineFor, overrideFor, rowProblems, templateField, vmrunSource, type HostField } from '../../lib/settings-model';
import { useApp } from '../../stores/app-store';
import { useSettings, type PickPurpose } from '../../stores/settings-store';
import { CheckNote, FailureNote } from './CheckNote';
import { DoctorPanel } from './DoctorPanel';
import { TemplateMaker } from './TemplateMaker';

export function SettingsScreen() {
  const t = useT();
  useEffect(() => {
    void useSettings.getState().load();
  }, []);
  const loadError = useSettings((s) => s.loadError);
  const overrides = useSettings((s) => s.check?.overrides);
  return (
    <div className="lab-screen settings-screen" data-testid="screen-settings">
      <header className="lab-head">
        <div>
          <h2>{t('settings.title')}</h2>
          <div className="muted">{t('settings.intro')}</div>
        </div>
      </header>
      <p className="settings-cli-hint" data-testid="settings-cli-hint">
        {t('settings.cliHint')}
      </p>
      {loadError && <FailureNote failure={loadError} textKey="settings.loadFailed" testId="settings-load-error" />}
      {!!overrides?.length && (
        <div className="check-note check-note-warning" data-testid="settings-overrides">
          <div className="check-note-text">
            <b>{t('settings.overridesTitle')} </b>
            <span className="mono">{overrides.join(', ')}</span>
            <div className="check-note-fix">{t('settings.overridesHint')}</div>
          </div>
        </div>
      )}
      <div className="settings-grid">
        <HostForm />
        <div className="settings-side">
          <TemplateMaker />
          <DoctorPanel />
        </div>
      </div>
    </div>
  );
}

function HostForm() {
  const t = useT();
  const draft = useSettings((s) => s.draft);
  const saved = useSettings((s) => s.saved);
  const check = useSettings((s) => s.check);
  const checkError = useSettings((s) => s.checkError);
  const checking = useSettings((s) => s.checking);
  const saving = useSettings((s) => s.saving);
  const saveError = useSettings((s) => s.saveError);
  const rowsRefused = useSettings((s) => s.rowsRefused);
  const pickError = useSettings((s) => s.pickError);
  const dirty = useMemo(() => isDirty(draft, saved), [draft, saved]);
  const st = useSettings.getState();
  const src = vmrunSource(check);
  const platform = useApp((s) => s.info?.platform);
  const linuxHost = !platform || platform === 'linux' || !!draft.vmwareEtcDir;
  return (
    <section className="panel settings-form" data-testid="settings-form">
      <div className="panel-head">
        <h3>{t('settings.host')}</h3>
        <span className="muted small-text" data-testid="settings-checking" data-checking={checking ? 'yes' : 'no'}>
          {checking ? t('settings.checking') : ''}
        </span>
      </div>
      {checkError && <FailureNote failure={checkError} textKey="settings.checkFailed" testId="settings-check-error" />}
      {pickError && <FailureNote failure={pickError} textKey="settings.pickFailed" testId="settings-pick-error" />}

      <div className="vmrun-found" data-testid="vmrun-found" data-source={src}>
        <span className="muted">{t('settings.vmrun')}:</span>{' '}
        {check?.vmrun.path ? <span className="mono">{check.vmrun.path}</span> : <span className={src === 'none' ? 'bad' : 'muted'}>{t(`settings.vmrun.source.${src}`)}</span>}
        {check?.vmrun.version && <span className="pill pill-ok" data-testid="vmrun-version">{t('settings.vmrun.version', { version: check.vmrun.version })}</span>}
        {check?.vmrun.path && <span className="muted small-text"> ({t(`settings.vmrun.source.${src}`)})</span>}
      </div>
      <HostPath field="vmrunPath" label={t('settings.vmrun.override')} hint={t('settings.vmrun.hint')} placeholder={t('settings.vmrun.placeholder')} purpose="vmrun">
        <button type="button" data-testid="vmrun-auto" title={t('settings.vmrun.autoHint')} disabled={!draft.vmrunPath} onClick={() => st.edit({ vmrunPath: '' })}>
          {t('settings.vmrun.auto')}
        </button>
      </HostPath>

      <Templates />

      <HostPath field="sshUser" label={t('settings.sshUser')} hint={t('settings.sshUser.hint')} placeholder={t('settings.sshUser.placeholder')} />
      <HostPath field="labsDir" label={t('settings.labsDir')} hint={t('settings.labsDir.hint')} placeholder={t('settings.labsDir.placeholder')} purpose="folder" />
      {/* VMware keeps its networking file there on Linux only. */}
      {linuxHost && <HostPath field="vmwareEtcDir" label={t('settings.vmwareEtcDir')} hint={t('settings.vmwareEtcDir.hint')} placeholder={t('settings.vmwareEtcDir.placeholder')} purpose="folder" />}

      {rowsRefused && <div className="field-error" data-testid="settings-rows-refused" role="alert">{t('settings.saveRows')}</div>}
      {saveError && <FailureNote failure={saveError} textKey="settings.saveRefused" testId="settings-save-error" />}
      <div className="row-actions settings-actions">
        <button type="button" className="primary" data-testid="settings-save" disabled={saving || !saved} onClick={() => void st.save()}>
          {saving ? t('settings.saving') : t('settings.save')}
        </button>
        <button type="button" data-testid="settings-revert" disabled={!dirty || saving} onClick={() => st.revert()}>
          {t('settings.revert')}
        </button>
        <span className="muted small-text" data-testid="settings-dirty" data-dirty={dirty ? 'yes' : 'no'}>
          {dirty ? t('settings.unsaved') : saved ? t('settings.upToDate') : ''}
        </span>
      </div>
    </section>
  );
}

/** The check line and the env override of one field. */
function FieldNotes({ field, line }: { field: HostField | `template:${string}`; line?: CheckLine }) {
  const t = useT();
  const overrides = useSettings((s) => s.check?.overrides);
  const env = overrideFor(field, overrides);
  if (!line && !env) return null;
  return (
    <div className="field-issues">
      {line && <CheckNote line={line} compact testId={`check-${field}`} />}
      {env && (
        <div className="field-warning" data-testid={`override-${field}`}>
          {t('settings.override', { name: env })}
        </div>
      )}
    </div>
  );
}

/** A text field with an optional Browse button (desktop) and the field's notes. */
function HostPath({ field, label, hint, placeholder, purpose, children }: { field: HostField; label: string; hint: string; placeholder: string; purpose?: PickPurpose; children?: ReactNode }) {
  const id = useId();
  const value = useSettings((s) => s.draft[field]);
  const line = useSettings((s) => lineFor(s.check, field));
  const desktop = useApp((s) => s.info?.mode === 'desktop');
  const t = useT();
  return (
    <div className={`field${line?.level === 'error' ? ' field-bad' : ''}`}>
      <label htmlFor={id}>
        {label}
        <span className="field-hint">{hint}</span>
      </label>
      <div className="path-input">
        <input
          id={id}
          className={purpose || field === 'vmwareEtcDir' ? 'mono' : undefined}
          data-testid={`settings-${field}`}
          value={value}
          placeholder={placeholder}
          spellCheck={false}
          onChange={(e) => useSettings.getState().edit({ [field]: e.target.value })}
        />
        {purpose && desktop && (
          <button type="button" data-testid={`browse-${field}`} onClick={async () => {
            const p = await useSettings.getState().pick(purpose);
            if (p) useSettings.getState().edit({ [field]: p });
          }}>
            {t('settings.browse')}
          </button>
        )}
        {children}
      </div>
      <FieldNotes field={field} line={line} />
    </div>
  );
}

const ROW_TEXT: Record<string, MessageKey> = {
  'os-missing': 'settings.row.os-missing',
  'os-invalid': 'settings.row.os-invalid',
  'os-duplicate': 'settings.row.os-duplicate',
  'path-missing': 'settings.row.path-missing',
};

function Templates() {
  const t = useT();
  const rows = useSettings((s) => s.draft.templates);
  const check = useSettings((s) => s.check);
  const desktop = useApp((s) => s.info?.mode === 'desktop');
  const problems = useMemo(() => rowProblems(rows), [rows]);
  const st = useSettings.getState();
  return (
    <fieldset className="templates" data-testid="settings-templates">
      <legend>
        {t('settings.templates')}
        <span className="field-hint">{t('settings.templates.hint')}</span>
      </legend>
      {rows.length === 0 && <p className="muted small-text" data-testid="templates-empty">{t('settings.templates.empty')}</p>}
      {rows.map((r) => {
        const problem = problems.find((p) => p.key === r.key);
        const line = r.os.trim() && r.path.trim() && !problem ? lineFor(check, templateField(r.os)) : undefined;
        const bad = !!problem || line?.level === 'error';
        return (
          <div key={r.key} className={`template-row${bad ? ' field-bad' : ''}`} data-testid="template-row" data-os={r.os.trim()}>
            <input aria-label={t('settings.templates.os')} className="mono template-os" data-testid="template-os" value={r.os} placeholder="ubuntu-22.04" spellCheck={false} onChange={(e) => st.editRow(r.key, { os: e.target.value })} />
            <input aria-label={t('settings.templates.path')} className="mono template-path" data-testid="template-path" value={r.path} placeholder={t('settings.templates.pathPlaceholder')} spellCheck={false} onChange={(e) => st.editRow(r.key, { path: e.target.value })} />
            {desktop && (
              <button type="button" data-testid="template-browse" onClick={async () => {
                const p = await useSettings.getState().pick('template-vmx');
                if (p) useSettings.getState().editRow(r.key, { path: p });
              }}>
                {t('settings.browse')}
              </button>
            )}
            <button type="button" className="danger" data-testid="template-remove" aria-label={t('settings.templates.remove')} title={t('settings.templates.remove')} onClick={() => st.removeRow(r.key)}>
              ×
            </button>
            {problem && (
              <div className="field-issues">
                <div className="field-error" data-testid="template-problem">{t(ROW_TEXT[problem.problem]!)}</div>
              </div>
            )}
            {!problem && r.os.trim() && <FieldNotes field={templateField(r.os) as `template:${string}`} line={line} />}
          </div>
        );
      })}
      <button type="button" className="small" data-testid="template-add" onClick={() => st.addRow()}>
        + {t('settings.templates.add')}
      </button>
    </fieldset>
  );
}

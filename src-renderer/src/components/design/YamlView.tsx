/**
 * The YAML that will be saved, comments of the opened file kept.
 */
import { useMemo } from 'react';
import { useT } from '../../i18n/useT';
import { useEditor } from '../../stores/editor-store';

export function YamlView() {
  const t = useT();
  const data = useEditor((s) => s.data);
  const text = useMemo(() => {
    void data;
    return useEditor.getState().serialize();
  }, [data]);
  return (
    <div className="yaml-view" data-testid="yaml-view">
      <p className="muted">{t('yaml.readonly')}</p>
      <pre data-testid="yaml-text">{text}</pre>
    </div>
  );
}

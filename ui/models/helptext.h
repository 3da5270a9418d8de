// What the Help menu shows, computed without widgets: the keyboard shortcuts read from the
// window's real actions (so the list cannot drift from them), the documentation's location and
// the About text.
#pragma once

#include <QList>
#include <QString>

class QAction;

namespace attnviz {

struct ShortcutEntry
{
    QString keys;   // "Ctrl+E, Ctrl+Shift+E" in the platform's own notation
    QString action; // "Export alignment…", without the & of the mnemonic
    QString menu;   // "File", or where the keys work ("Heatmap") for keys that are no action
};

// Every action with a shortcut (in the order given), and then `extra` (keys a widget handles
// itself, such as the heatmap's arrow keys).
QList<ShortcutEntry> shortcutEntries(const QList<QAction *> &actions,
                                     const QList<ShortcutEntry> &extra = {});
// Whether every word of `filter` occurs in the entry's keys, action or menu (case-insensitive).
bool matchesFilter(const ShortcutEntry &entry, const QString &filter);

// docs/gui.md: installed (PREFIX/share/doc/attnviz, beside bin/) or in the source tree the
// program was built from; empty when neither is there.
QString documentationPath(const QString &applicationDirectory);

// Version, what attnviz is, the licences of the libraries it uses and the attribution the
// Tatoeba-trained sample models require (data/README.md). HTML.
QString aboutHtml();

} // namespace attnviz

// The Help menu's windows: the keyboard shortcuts (a searchable list of helptext.h's entries)
// and the documentation (docs/gui.md, read as Markdown in a browser that follows its links).
#pragma once

#include "helptext.h"

#include <QDialog>

class QLineEdit;
class QTreeWidget;

namespace attnviz {

class ShortcutsDialog : public QDialog
{
    Q_OBJECT
public:
    ShortcutsDialog(const QList<ShortcutEntry> &entries, QWidget *parent = nullptr);

    QLineEdit *filterEdit() const { return m_filter; }
    QStringList visibleActions() const; // the action column of the rows the filter leaves

private:
    void applyFilter(const QString &filter);

    QList<ShortcutEntry> m_entries;
    QLineEdit *m_filter;
    QTreeWidget *m_list;
};

// A window on the documentation file `path` (Markdown); links to other .md files open in it.
class DocumentationWindow : public QDialog
{
    Q_OBJECT
public:
    explicit DocumentationWindow(const QString &path, QWidget *parent = nullptr);
};

} // namespace attnviz

// The Pieces / Words switch above the alignment views: two toggle buttons that show and set
// ResultSelection's units. Disabled, with a tooltip that says why, when the output's model has
// no pieces to merge (a word-level model) or there is no translation yet.
#pragma once

#include <QWidget>

class QToolButton;

namespace attnviz {

class ResultSelection;

class UnitsSwitch : public QWidget
{
    Q_OBJECT
public:
    explicit UnitsSwitch(ResultSelection *selection, QWidget *parent = nullptr);

    // The View menu's action, whose shortcut the tooltips name (not owned; may be null).
    void setShortcutText(const QString &shortcut);

private:
    void update();

    ResultSelection *m_selection;
    QToolButton *m_pieces, *m_words;
    QString m_shortcut;
};

// What the switch says about the units of the selection's output, for its tooltip and the View
// menu action's status tip.
QString unitsSwitchToolTip(const ResultSelection &selection, const QString &shortcut);

} // namespace attnviz
